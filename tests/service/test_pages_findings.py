"""Findings read in Chinese on Chinese pages: every sentence every deployment rule can write and
every detail the ledger monitor can write is translated with its numbers and codes, every check
title of the rule data is in the catalogs, citations cite the law's Chinese title; English pages
keep the check's own words, and a sentence nobody wrote down is shown as English."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from veil.ledger.monitor import RULES as MONITOR_RULE_NAMES
from veil.ledger.monitor import CheckpointInfo, replay
from veil.rules.deployment_checks import DEPLOYMENT_RULES, GATE_RULES, LOCAL_RULES
from veil.rules.deployment_model import Deployment, VeilGate
from veil.rules.ruledata import rule_data
from veil.service.notices import deployment_notice
from veil.service.pages import render_notice
from veil.service.pages.findings import (
    MONITOR_RULES,
    citation_label,
    finding_message,
    monitor_detail,
    monitor_rule,
    rule_text,
)
from veil.service.pages.messages import extracted

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
# what a Chinese sentence may keep in Latin letters: codes a reader types, names, units
ALLOWED_LATIN = {"minors_under_14", "false", "Veil", "veil", "gate", "1e", "JSON"}
BASE: dict[str, Any] = {
    "name": "Test gate", "scenario": "residential_gate", "public_place": False,
    "purpose": "let enrolled residents in", "purpose_category": "access_control",
    "legal_basis": "consent", "separate_consent": True, "consent_withdrawal": True,
    "signage": True, "processing_rules_published": True,
    "notice_covers": ["processor", "purpose", "method", "retention", "necessity_and_impact",
                      "rights"],
    "face_only_entry": False, "alternatives": ["card"], "storage": "device",
    "internet_transfer": False, "retention_days": 30, "delete_on_withdrawal": True,
    "impact_assessment": True, "records_kept_years": 3, "people_stored": 100,
    "filed_with_cac": False, "minors_under_14": True, "guardian_consent": True,
    "private_spaces": [], "non_consenting": "anonymize",
    "security_measures": ["encryption", "access_control", "audit"],
    "recognition_area_marked": True,
}  # fmt: skip
# check id -> deployment changes, one per way the rule can word its message
CASES: dict[str, list[dict[str, Any]]] = {
    "VEIL-DEP-001": [{"separate_consent": False}],
    "VEIL-DEP-002": [{"consent_withdrawal": False}],
    "VEIL-DEP-003": [
        {"notice_covers": ["purpose"]},
        {"processing_rules_published": False},
        {"notice_covers": [], "processing_rules_published": False},
    ],
    "VEIL-DEP-004": [{"public_place": True, "signage": False}],
    "VEIL-DEP-005": [{"public_place": True, "separate_consent": False, "purpose_category": c}
                     for c in ("access_control", "marketing", "other")],
    "VEIL-DEP-006": [{"face_only_entry": True}, {"alternatives": []}],
    "VEIL-DEP-007": [
        {"storage": "cloud", "separate_consent": False},
        {"storage": "local_server", "separate_consent": False, "internet_transfer": True},
    ],
    "VEIL-DEP-008": [{"retention_days": None}],
    "VEIL-DEP-009": [{"delete_on_withdrawal": False}],
    "VEIL-DEP-010": [{"impact_assessment": False}],
    "VEIL-DEP-011": [{"records_kept_years": 2.5}, {"records_kept_years": 0}],
    "VEIL-DEP-012": [{"people_stored": 1_234_567}],
    "VEIL-DEP-013": [{"guardian_consent": False}],
    "VEIL-DEP-014": [{"private_spaces": ["toilet", "hotel_room", "public_bath", "changing_room"]}],
    "VEIL-DEP-015": [{"non_consenting": n} for n in ("store", "shown", "undeclared")],
    "VEIL-DEP-016": [{"face_required_for_service": True}, {"bundled_consent": True}],
    "VEIL-DEP-017": [{"security_measures": []}, {"security_measures": ["encryption"]}],
    "VEIL-DEP-018": [{"purpose": ""}],
    "VEIL-LOCAL-HANGZHOU-001": [{"face_only_entry": True}],
    "VEIL-LOCAL-TIANJIN-001": [{"credit_information_provider": True}],
    "VEIL-LOCAL-NANJING-001": [{"scenario": "sales_office", "separate_consent": False}],
    "VEIL-LOCAL-KUNMING-001": [
        {"scenario": "sales_office", "face_only_entry": True},
        {"scenario": "sales_office", "recognition_area_marked": False},
        {"scenario": "sales_office", "face_required_for_service": True,
         "recognition_area_marked": False, "separate_consent": False},
    ],
}  # fmt: skip


def _latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_0-9]*[A-Za-z][A-Za-z_0-9]*", text)) - ALLOWED_LATIN


def _messages() -> list[tuple[str, str]]:
    out = []
    for check_id, changes in CASES.items():
        rule = {**DEPLOYMENT_RULES, **LOCAL_RULES}[check_id][0]
        for change in changes:
            message = rule(Deployment.model_validate({**BASE, **change}))
            assert message is not None, (check_id, change)
            out.append((check_id, message))
    gate_rule = GATE_RULES["VEIL-GATE-001"][0]
    gate = yaml.safe_load((EXAMPLES / "veil-gate.yaml").read_text("utf-8"))["veil_gate"]
    message = gate_rule(VeilGate.model_validate({**gate, "match_threshold": 0.75}))
    assert message is not None
    out.append(("VEIL-GATE-001", message))
    return out


def test_every_rule_has_a_case() -> None:
    assert set(CASES) | {"VEIL-GATE-001"} == set(DEPLOYMENT_RULES) | set(LOCAL_RULES) | set(
        GATE_RULES
    )


@pytest.mark.parametrize(("check_id", "message"), _messages())
def test_every_finding_message_reads_chinese_with_its_numbers(check_id: str, message: str) -> None:
    shown = finding_message(message, "zh-CN")
    assert shown.lang == "zh-CN", (check_id, message)
    assert not _latin_words(shown.text), (check_id, shown.text)
    for number in re.findall(r"\d[\d,.]*\d|\d", message.replace("1e-3", "")):
        assert number in shown.text, (number, shown.text)
    assert finding_message(message, "en") == (message, "en")  # as veil check prints it


def test_codes_in_a_message_are_translated_one_by_one() -> None:
    shown = finding_message(
        "face-recognition devices in private spaces: hotel_room, toilet", "zh-CN"
    )
    assert shown.text == "在私密空间安装了人脸识别设备：旅馆客房、卫生间。"
    stored = finding_message(
        "face information is stored outside the device (cloud, sent over the internet) without "
        "separate consent", "zh-CN",
    )  # fmt: skip
    assert "，并通过互联网传输" in stored.text and "cloud" not in stored.text


def test_a_message_nobody_wrote_down_stays_english() -> None:
    assert finding_message("a brand-new rule fired", "zh-CN") == ("a brand-new rule fired", "en")
    # a joined message is translated only when every part is known
    half = "no specific purpose is stated; the moon is made of cheese"
    assert finding_message(half, "zh-CN") == (half, "en")


def test_every_check_title_is_a_catalog_message_and_reads_chinese() -> None:
    messages = extracted()
    for check in rule_data().checks.values():
        assert check.title in messages, check.id
        shown = rule_text(check.title, "zh-CN")
        assert shown.lang == "zh-CN" and shown.text != check.title, check.id
        assert rule_text(check.title, "en") == (check.title, "en")
    assert rule_text("A title nobody translated", "zh-CN").lang == "en"


def test_citations_cite_the_chinese_title() -> None:
    assert citation_label("pipl", "29", "PIPL Art. 29", "zh-CN") == (
        "《中华人民共和国个人信息保护法》第29条"
    )
    assert citation_label("spc-2021", "2(3)", "x", "zh-CN").endswith("》第2条第（3）项")
    kunming = citation_label("kunming-sales-office-2021", "-", "x", "zh-CN")
    assert kunming.startswith("昆明市") and "第" not in kunming.split("》")[-1]
    assert citation_label("pipl", "29", "PIPL Art. 29", "en") == "PIPL Art. 29"
    assert citation_label("unknown", "1", "Unknown Art. 1", "zh-CN") == "Unknown Art. 1"


def _monitor_findings() -> list[tuple[str, str]]:
    def ev(i: int, **fields: Any) -> tuple[int, bytes]:
        base = {"id": f"e{i}", "time": f"2026-01-01T00:00:0{i}Z", "subject": "s1"}
        return i, json.dumps({**base, **fields}).encode()

    entries = [
        ev(0, action="consent_granted", consent_ref="c1", purpose="entry"),
        ev(1, action="consent_withdrawn", consent_ref="c1"),
        ev(2, action="identify", purpose="entry"),
        ev(3, action="identify", purpose="payroll"),
        ev(4, action="transfer"),
        ev(5, action="disclose"),
        (6, b"not json"),
        ev(7, action="collect"),
    ]
    cps = [
        CheckpointInfo(1, 4, b"a", 1),
        CheckpointInfo(2, 2, b"b", 0),
        CheckpointInfo(3, 4, b"c", 1),
    ]
    report = replay(entries, cps, [{"origin": "veil.test/log", "reason": "two roots"}])
    empty = replay(entries, [])
    return [(f.rule, f.detail) for f in (*report.findings, *empty.findings)]


def test_every_monitor_finding_reads_chinese() -> None:
    found = _monitor_findings()
    assert {rule for rule, _ in found} == set(MONITOR_RULE_NAMES)  # each rule fired once at least
    assert set(MONITOR_RULES) == set(MONITOR_RULE_NAMES)
    for rule, detail in found:
        assert monitor_rule(rule, "zh-CN") != rule and not _latin_words(monitor_rule(rule, "zh-CN"))
        shown = monitor_detail(detail, "zh-CN")
        assert shown.lang == "zh-CN", detail
        left = _latin_words(shown.text) - {
            "entry",
            "payroll",
            "veil",
            "test",
            "log",
            "two",
            "roots",
        }
        assert not left, shown.text
        assert monitor_detail(detail, "en") == (detail, "en")


def test_the_chinese_notice_page_has_no_english_finding(tmp_path: Path) -> None:
    site = yaml.safe_load((EXAMPLES / "deployment-sales-office.yaml").read_text("utf-8"))
    body = site["deployment"]
    body.update(separate_consent=False, retention_days=None, private_spaces=["toilet"])
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    notice = deployment_notice(path)
    assert len(notice.compliance.findings) >= 3
    zh = render_notice(notice, "zh-CN")
    section = zh.split('id="comp-h"', 1)[1].split("</section>", 1)[0]
    assert 'lang="en"' not in section
    for f in notice.compliance.findings:
        assert f.title not in section and f.message not in section
        assert rule_text(f.title, "zh-CN").text in section
    assert "《中华人民共和国个人信息保护法》第" in section
    en = render_notice(notice, "en")
    for f in notice.compliance.findings:
        assert f.title in en and f.message.replace("'", "&#39;") in en
