"""`veil check deployment`: every rule firing and not firing, local rules by city, veil gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.rules.conftest import EXAMPLES, compliant, gate, write_yaml
from veil.consent.matching import DEFAULT_THRESHOLD
from veil.rules.deployments import (
    DEPLOYMENT_RULES,
    LOCAL_RULES,
    check_deployment,
    local_rules_for,
)
from veil.rules.models import CheckInputError, Report


def run(tmp_path: Path, body: dict[str, Any], root: str = "deployment") -> Report:
    return check_deployment(write_yaml(tmp_path / "site.yaml", {root: body}))


def fired(report: Report) -> list[str]:
    return sorted(f.check_id for f in report.findings)


# check id -> (changes that make it fire, changes near the edge that must not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "VEIL-DEP-001": ({"separate_consent": False, "storage": "device"}, {"legal_basis": "law"}),
    "VEIL-DEP-002": ({"consent_withdrawal": False}, {"consent_withdrawal": True}),
    "VEIL-DEP-003": ({"notice_covers": ["purpose"]}, {"processing_rules_published": True}),
    "VEIL-DEP-004": (
        {"public_place": True, "purpose_category": "public_security", "signage": False},
        {"public_place": True, "purpose_category": "public_security", "signage": True},
    ),
    "VEIL-DEP-005": (
        {"public_place": True, "separate_consent": False, "legal_basis": "law"},
        {"public_place": True},
    ),
    "VEIL-DEP-006": ({"face_only_entry": True}, {"alternatives": ["guard"]}),
    "VEIL-DEP-007": (
        {"storage": "cloud", "separate_consent": False, "internet_transfer": True},
        {"storage": "cloud", "internet_transfer": True},
    ),
    "VEIL-DEP-008": ({"retention_days": None}, {"retention_days": 0}),
    "VEIL-DEP-009": ({"delete_on_withdrawal": False}, {"delete_on_withdrawal": True}),
    "VEIL-DEP-010": ({"impact_assessment": False}, {"impact_assessment": True}),
    "VEIL-DEP-011": ({"records_kept_years": 2.5}, {"records_kept_years": 3}),
    "VEIL-DEP-012": ({"people_stored": 100_000}, {"people_stored": 99_999}),
    "VEIL-DEP-013": (
        {"guardian_consent": False},
        {"guardian_consent": False, "minors_under_14": False},
    ),
    "VEIL-DEP-014": ({"private_spaces": ["toilet"]}, {"private_spaces": []}),
    "VEIL-DEP-015": ({"non_consenting": "store"}, {"non_consenting": "discard"}),
    "VEIL-DEP-016": ({"face_required_for_service": True}, {"bundled_consent": False}),
    "VEIL-DEP-017": (
        {"security_measures": ["encryption", "audit"]},
        {"security_measures": ["encryption", "audit", "access_control", "intrusion_detection"]},
    ),
    "VEIL-DEP-018": ({"purpose": ""}, {"purpose": "attendance of staff"}),
}

# Storage outside the device is allowed with separate consent (FRT Art.8), so it can only be
# wrong when separate consent is missing, which DEP-001 reports as well.
COMPANIONS = {"VEIL-DEP-007": ["VEIL-DEP-001"]}


def test_every_national_rule_has_a_case() -> None:
    assert set(CASES) == set(DEPLOYMENT_RULES)


def test_compliant_deployment_has_no_findings(tmp_path: Path) -> None:
    report = run(tmp_path, compliant())
    assert report.findings == () and report.exit_code == 0
    assert set(report.checks_run) == set(DEPLOYMENT_RULES)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_rule_fires(tmp_path: Path, check_id: str) -> None:
    report = run(tmp_path, {**compliant(), **CASES[check_id][0]})
    assert fired(report) == sorted([check_id, *COMPANIONS.get(check_id, [])])
    finding = next(f for f in report.findings if f.check_id == check_id)
    assert finding.citations and finding.location.line is not None
    assert report.exit_code == 1


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_rule_does_not_fire(tmp_path: Path, check_id: str) -> None:
    assert fired(run(tmp_path, {**compliant(), **CASES[check_id][1]})) == []


def test_finding_points_at_the_field(tmp_path: Path) -> None:
    report = run(tmp_path, {**compliant(), "retention_days": None})
    text = (tmp_path / "site.yaml").read_text(encoding="utf-8").splitlines()
    line = report.findings[0].location.line
    assert line is not None and text[line - 1].strip().startswith("retention_days")


def test_undeclared_obligations_fail_closed(tmp_path: Path) -> None:
    report = run(tmp_path, {"name": "Bare camera", "scenario": "shop", "purpose": "count"})
    assert {
        "VEIL-DEP-001",
        "VEIL-DEP-004",
        "VEIL-DEP-006",
        "VEIL-DEP-007",
        "VEIL-DEP-008",
        "VEIL-DEP-010",
        "VEIL-DEP-013",
        "VEIL-DEP-015",
        "VEIL-DEP-017",
    } <= set(fired(report))


# --- local rules ---------------------------------------------------------------------------

LOCAL: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # id: (city, changes that fire it there, changes that do not)
    "VEIL-LOCAL-HANGZHOU-001": ("Hangzhou", {"face_only_entry": True}, {}),
    "VEIL-LOCAL-TIANJIN-001": ("天津", {"credit_information_provider": True}, {}),
    "VEIL-LOCAL-NANJING-001": (
        "Nanjing",
        {"scenario": "sales_office", "separate_consent": False, "legal_basis": "law"},
        {"scenario": "sales_office"},
    ),
    "VEIL-LOCAL-KUNMING-001": (
        "昆明市",
        {"scenario": "sales_office", "recognition_area_marked": False},
        {"scenario": "sales_office"},
    ),
}


def test_every_local_rule_has_a_case() -> None:
    assert set(LOCAL) == set(LOCAL_RULES)


@pytest.mark.parametrize("check_id", sorted(LOCAL))
def test_local_rule_fires_only_in_its_city(tmp_path: Path, check_id: str) -> None:
    city, firing, quiet = LOCAL[check_id]
    here = run(tmp_path, {**compliant(), **firing, "city": city})
    assert check_id in fired(here)
    assert check_id in here.checks_run
    elsewhere = run(tmp_path, {**compliant(), **firing, "city": "Shanghai"})
    assert check_id not in fired(elsewhere) and check_id not in elsewhere.checks_run
    assert fired(run(tmp_path, {**compliant(), **quiet, "city": city})) == []


@pytest.mark.parametrize(
    ("city", "expected"),
    [
        ("Hangzhou", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("杭州市", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("hangzhou city", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("杭州市西湖区", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("浙江省杭州市", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("Hangzhou, Zhejiang", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("Xihu District, Hangzhou City", ["VEIL-LOCAL-HANGZHOU-001"]),
        ("Nanjing Shi", ["VEIL-LOCAL-NANJING-001"]),
        ("上海市南京路", []),
        ("Nanjing Road, Shanghai", []),
        ("天津市滨海新区", ["VEIL-LOCAL-TIANJIN-001"]),
        ("Beijing", []),
        (None, []),
    ],
)
def test_city_names(city: str | None, expected: list[str]) -> None:
    assert local_rules_for(city) == expected


# --- veil gate configuration ---------------------------------------------------------------


def test_veil_gate_example_is_compliant_with_veil_guarantees(tmp_path: Path) -> None:
    report = run(tmp_path, gate(), root="veil_gate")
    assert report.findings == ()
    assert any(o.label == "veil gate" for o in report.observations)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"alternatives": []}, ["VEIL-DEP-006"]),
        ({"vault": "cloud"}, []),  # separate consent covers external storage
        ({"retention_days": None}, ["VEIL-DEP-008"]),
        ({"ledger_retention_years": 1}, ["VEIL-DEP-011"]),
        ({"people_enrolled": 150_000}, ["VEIL-DEP-012"]),
        ({"people_enrolled": 150_000, "filed_with_cac": True}, []),
        ({"extra_security": []}, ["VEIL-DEP-017"]),
        ({"minors_under_14": True}, ["VEIL-DEP-013"]),
        ({"public_place": True, "signage": False}, ["VEIL-DEP-004"]),
        (
            {"city": "Hangzhou", "scenario": "residential_gate", "alternatives": []},
            ["VEIL-DEP-006", "VEIL-LOCAL-HANGZHOU-001"],
        ),
    ],
)
def test_veil_gate_rules(tmp_path: Path, changes: dict[str, Any], expected: list[str]) -> None:
    report = run(tmp_path, {**gate(), **changes}, root="veil_gate")
    assert fired(report) == expected


def test_veil_gate_that_shows_faces_fails_anonymize_by_default(tmp_path: Path) -> None:
    report = run(tmp_path, {**gate(), "mode": "none"}, root="veil_gate")
    assert fired(report) == ["VEIL-DEP-015"]
    finding = report.findings[0]
    assert "shown unredacted" in finding.message
    lines = (tmp_path / "site.yaml").read_text("utf-8").splitlines()
    assert finding.location.line is not None
    assert lines[finding.location.line - 1].strip() == "mode: none"
    assert any("mode none" in o.detail for o in report.observations)
    for mode in ("blur", "pixelate", "solid"):
        assert fired(run(tmp_path, {**gate(), "mode": mode}, root="veil_gate")) == []


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(None, []), (0.3, []), (DEFAULT_THRESHOLD, []), (0.6, ["VEIL-GATE-001"])],
)
def test_veil_gate_match_threshold(
    tmp_path: Path, threshold: float | None, expected: list[str]
) -> None:
    """A gate matching more loosely than Veil's measured threshold shows non-consenting faces."""
    body = gate() if threshold is None else {**gate(), "match_threshold": threshold}
    report = run(tmp_path, body, root="veil_gate")
    assert fired(report) == expected
    assert "VEIL-GATE-001" in report.checks_run
    if expected:
        finding = report.findings[0]
        lines = (tmp_path / "site.yaml").read_text("utf-8").splitlines()
        assert finding.location.line is not None
        assert lines[finding.location.line - 1].strip() == "match_threshold: 0.6"
        assert finding.reading and "1e-3" in finding.message


def test_gate_rules_run_only_for_a_gate(tmp_path: Path) -> None:
    assert "VEIL-GATE-001" not in run(tmp_path, compliant()).checks_run


def test_veil_gate_fails_closed_on_public_place(tmp_path: Path) -> None:
    """A gate config that does not say it is outside public places is taken to be inside one."""
    body = {k: v for k, v in gate().items() if k not in ("public_place", "signage")}
    assert fired(run(tmp_path, body, root="veil_gate")) == ["VEIL-DEP-004"]


def test_veil_gate_shows_its_consent_purpose(tmp_path: Path) -> None:
    report = run(tmp_path, gate(), root="veil_gate")
    detail = next(o.detail for o in report.observations if o.label == "veil gate")
    assert "consent purpose lobby-gate, mode blur" in detail


def test_veil_gate_finding_points_at_gate_field(tmp_path: Path) -> None:
    report = run(tmp_path, {**gate(), "ledger_retention_years": 1}, root="veil_gate")
    lines = (tmp_path / "site.yaml").read_text("utf-8").splitlines()
    line = report.findings[0].location.line
    assert line is not None and "ledger_retention_years" in lines[line - 1]


# --- examples and malformed files ----------------------------------------------------------


def test_examples_in_docs() -> None:
    assert check_deployment(EXAMPLES / "deployment-residential-gate.yaml").compliant
    assert check_deployment(EXAMPLES / "veil-gate.yaml").compliant
    office = check_deployment(EXAMPLES / "deployment-sales-office.yaml")
    assert "VEIL-LOCAL-NANJING-001" in fired(office)
    assert {"VEIL-DEP-001", "VEIL-DEP-007", "VEIL-DEP-015"} <= set(fired(office))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"deployment": compliant(), "veil_gate": gate()}, "exactly one top-level key"),
        ({"site": "x"}, "exactly one top-level key"),
        ({"deployment": ["a"]}, "must be a mapping"),
        ({"deployment": {**compliant(), "scenario": "moon_base"}}, "scenario"),
        ({"deployment": {**compliant(), "retention_days": -1}}, "retention_days"),
        ({"deployment": {**compliant(), "private_spaces": ["kitchen"]}}, "private_spaces"),
        ({"deployment": {**compliant(), "signge": True}}, "signge"),
        ({"veil_gate": {**gate(), "separate_consent": False}}, "separate_consent"),
        ({"veil_gate": {**gate(), "mode": "sparkle"}}, "mode"),
        ({"veil_gate": {**gate(), "match_threshold": 2.0}}, "match_threshold"),
        ({"veil_gate": {**gate(), "consent_purpose": "Lobby Gate!"}}, "consent purpose"),
        ({"deployment": {k: v for k, v in compliant().items() if k != "name"}}, "name"),
    ],
)
def test_malformed_deployments(tmp_path: Path, data: dict[str, Any], message: str) -> None:
    path = write_yaml(tmp_path / "bad.yaml", data)
    with pytest.raises(CheckInputError, match=message) as info:
        check_deployment(path)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_json_deployment_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    body = {**compliant(), "retention_days": None}
    path.write_text(json.dumps({"deployment": body}, indent=2), encoding="utf-8")
    report = check_deployment(path)
    assert fired(report) == ["VEIL-DEP-008"]
    line = report.findings[0].location.line
    assert line is not None
    assert '"retention_days"' in path.read_text(encoding="utf-8").splitlines()[line - 1]
    gate_path = tmp_path / "gate.json"
    gate_path.write_text(json.dumps({"veil_gate": gate()}), encoding="utf-8")
    assert check_deployment(gate_path).compliant
