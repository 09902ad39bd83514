"""Deployment notices built from the shipped example deployment files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veil.ledger import Event, Ledger
from veil.ledger.witness import Witness
from veil.rules.deployments import check_deployment
from veil.rules.models import CheckInputError
from veil.service.notices import deployment_notice

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SALES = EXAMPLES / "deployment-sales-office.yaml"
GATE = EXAMPLES / "deployment-residential-gate.yaml"
VEIL_GATE = EXAMPLES / "veil-gate.yaml"


def test_a_non_compliant_sales_office_says_so_with_citations() -> None:
    notice = deployment_notice(SALES, operator="Riverside Developments")
    assert notice.site == "Riverside Garden sales office"
    assert notice.operator == "Riverside Developments"
    assert notice.purpose == "recognise returning visitors and which agent brought them"
    assert notice.legal_basis == "consent"
    assert notice.retention_days is None and notice.retention == "no retention period is set"
    assert notice.faces_redacted_at_capture is False
    assert notice.non_consenting == "stored"
    assert notice.recognition.runs
    assert notice.recognition.for_whom.startswith("everyone captured")
    assert notice.alternatives == ()
    report = check_deployment(SALES)
    assert notice.compliance.compliant is False
    assert [f.check_id for f in notice.compliance.findings] == [f.check_id for f in report.findings]
    assert notice.compliance.checks_run == report.checks_run
    assert "VEIL-LOCAL-NANJING-001" in {f.check_id for f in notice.compliance.findings}
    for finding in notice.compliance.findings:
        assert finding.citations, finding.check_id
        assert all(c.label and c.certainty for c in finding.citations)
    assert notice.checkpoint is None


def test_a_compliant_gate_names_its_alternative_and_retention() -> None:
    notice = deployment_notice(GATE)
    assert notice.compliance.compliant and notice.compliance.findings == ()
    assert notice.faces_redacted_at_capture is True
    assert notice.non_consenting == "discarded at capture"
    assert notice.alternatives == ("resident card", "intercom to the guard")
    assert notice.retention_days == 30 and notice.retention == "kept at most 30 days"
    assert notice.recognition.for_whom == "only people who gave separate consent"
    assert notice.storage == "device" and notice.internet_transfer is False


def test_a_veil_gate_recognizes_only_consenting_people_for_its_purpose() -> None:
    notice = deployment_notice(VEIL_GATE)
    assert notice.compliance.compliant
    assert notice.recognition.consent_purpose == "lobby-gate"
    assert "'lobby-gate'" in notice.recognition.for_whom
    assert "redacted (blur)" in notice.recognition.for_whom
    assert notice.faces_redacted_at_capture is True
    assert notice.alternatives == ("staff badge",)


def test_a_gate_run_with_mode_none_does_not_claim_redaction(tmp_path: Path) -> None:
    text = VEIL_GATE.read_text(encoding="utf-8").replace("mode: blur", "mode: none")
    path = tmp_path / "gate.yaml"
    path.write_text(text, encoding="utf-8")
    notice = deployment_notice(path)
    assert notice.faces_redacted_at_capture is False
    assert "left visible" in notice.recognition.for_whom
    assert not notice.compliance.compliant
    assert str(tmp_path) not in notice.model_dump_json()  # no server path in a public notice


def test_the_notice_shows_the_latest_cosigned_checkpoint_and_its_witnesses(
    tmp_path: Path,
) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "keys") as ledger:
        assert deployment_notice(GATE, ledger).checkpoint is None
        ledger.append(
            Event.new(
                action="collect",
                controller="Sunny Gardens Property",
                system="east-gate",
                data_categories=["image.scene"],
                purpose="entry",
                legal_basis="contract",
            )
        )
        ledger.checkpoint()  # not witnessed: not shown
        assert deployment_notice(GATE, ledger).checkpoint is None
        w = Witness.create(tmp_path / "w", "witness.example")
        w.add_log(ledger.vkey)
        note = ledger.checkpoint([w])
        cp = deployment_notice(GATE, ledger).checkpoint
        assert cp is not None
        assert cp.size == 1 and cp.witnesses == ("witness.example",)
        assert cp.note == note and cp.origin == ledger.origin
        body = json.loads(deployment_notice(GATE, ledger).model_dump_json())
        assert body["checkpoint"]["witnesses"] == ["witness.example"]


def test_a_bad_deployment_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("deployment:\n  scenario: nowhere\n", encoding="utf-8")
    with pytest.raises(CheckInputError):
        deployment_notice(path)
