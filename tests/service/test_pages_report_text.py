"""A check report reads in Chinese on a zh-CN page, all of it: the APK and app-inventory
findings of every app type, the context line, what Veil observed, Veil's reading of a check and
the disclaimer. Codes (permissions, features, packages) stay as written; app types and items are
named as Veil's rule data names them in Chinese; English pages keep the check's own words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.rules.conftest import compliant, gate, violating_inventory, write_yaml
from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.page_session import signed_in
from veil.rules.apk import ApkFeature, ApkManifest, check_manifest
from veil.rules.apps import check_app
from veil.rules.deployments import check_deployment
from veil.rules.models import Report
from veil.rules.report import DISCLAIMER
from veil.rules.ruledata import rule_data
from veil.service.pages.findings import finding_message, rule_text
from veil.service.pages.i18n import Shown
from veil.service.pages.report_text import context_line, observation

ENGLISH = re.compile(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}\b")  # three English words in a row


def _chinese(shown: Shown) -> None:
    assert shown.lang == "zh-CN", shown
    assert not ENGLISH.search(shown.text), shown.text


def _all_chinese(report: Report) -> None:
    _chinese(context_line(report.context, "zh-CN"))
    for finding in report.findings:
        _chinese(finding_message(finding.message, "zh-CN"))
        if finding.reading:
            _chinese(rule_text(finding.reading, "zh-CN"))
    for row in report.observations:
        label, detail = observation(row, "zh-CN")
        _chinese(label)
        _chinese(detail)


def _greedy_manifest(target_sdk: int) -> ApkManifest:
    """A package asking for every permission and requiring every feature Veil knows."""
    android = rule_data().android
    return ApkManifest(
        package="com.example.greedy", target_sdk=target_sdk, min_sdk=21,
        permissions=tuple(sorted(android.permissions)),
        features=(*(ApkFeature(name=f, required=True) for f in sorted(android.features)),
                  ApkFeature(name="android.hardware.wifi", required=False)),
    )  # fmt: skip


@pytest.mark.parametrize("target_sdk", [22, 34])
def test_every_apk_finding_of_every_app_type_reads_in_chinese(target_sdk: int) -> None:
    manifest = _greedy_manifest(target_sdk)
    seen: set[str] = set()
    for app_type in rule_data().app_types:
        report = check_manifest(manifest, app_type, "greedy.apk")
        seen |= {f.check_id for f in report.findings}
        _all_chinese(report)
    expected = {"VEIL-APK-001", "VEIL-APK-003", "VEIL-APK-004"} if target_sdk < 23 else {
        "VEIL-APK-002", "VEIL-APK-003", "VEIL-APK-004"}  # fmt: skip
    assert expected <= seen


def test_every_app_finding_of_every_app_type_reads_in_chinese(tmp_path: Path) -> None:
    seen: set[str] = set()
    for app_type in rule_data().app_types:
        inventory = violating_inventory(app_type)
        inventory["collected"].append("religious_belief")  # listed, collected by no function
        inventory["functions"][1]["collects"].append({"item": "email_address", "purpose": " "})
        report = check_app(write_yaml(tmp_path / f"app-{app_type.number}.yaml", inventory))
        seen |= {f.check_id for f in report.findings}
        _all_chinese(report)
    assert {f"VEIL-APP-00{n}" for n in range(1, 6)} <= seen


def test_the_words_carried_are_the_rule_datas_chinese_names() -> None:
    maps, contacts = rule_data().app_type(1), "android.permission.READ_CONTACTS"
    report = check_manifest(
        ApkManifest(package="a.maps", target_sdk=22, permissions=(contacts,)), maps, "a.apk"
    )
    message = finding_message(report.findings[0].message, "zh-CN").text
    book = rule_data().items["address_book"].zh
    assert contacts in message and book in message and maps.name.zh in message, message
    assert "第1类" in message and "安装时" in message
    context = context_line(report.context, "zh-CN").text
    assert maps.basic_function.zh in context and "基本功能" in context
    rows = dict((label.text, detail.text) for label, detail in map(
        lambda r: observation(r, "zh-CN"), report.observations))  # fmt: skip
    assert rows["应用包名"] == "a.maps"
    assert rows[f"可获取：{book}"].startswith("超出必要范围") and "READ_CONTACTS" in rows[
        f"可获取：{book}"]  # fmt: skip


def _deployment_with_gate(tmp_path: Path, **changes: Any) -> Report:
    body = {**compliant(), "city": "Hangzhou", "non_consenting": "store", **changes}
    path = write_yaml(tmp_path / "site.yaml", {"deployment": body})
    report = check_deployment(path)
    gated = check_deployment(write_yaml(tmp_path / "gate.yaml", {
        "veil_gate": {**gate(), "match_threshold": 0.6}}))  # fmt: skip
    return report.model_copy(update={
        "findings": report.findings + gated.findings,
        "observations": report.observations + gated.observations,
    })  # fmt: skip


def test_a_deployment_report_with_readings_reads_in_chinese(tmp_path: Path) -> None:
    report = _deployment_with_gate(tmp_path)
    assert sum(1 for f in report.findings if f.reading) == 2  # both checks with a reading
    _all_chinese(report)
    assert "杭州" in context_line("face-recognition deployment: residential_gate in 杭州",
                                  "zh-CN").text  # fmt: skip
    _chinese(rule_text(DISCLAIMER, "zh-CN"))
    for row in (r for r in report.observations if r.label == "veil gate"):
        detail = observation(row, "zh-CN")[1].text
        assert "0.6" in detail and "blur" in detail, detail
    # no city: the fixed words translate too
    report = check_deployment(write_yaml(tmp_path / "bare.yaml", {"deployment": compliant()}))
    _all_chinese(report)


def test_english_and_unknown_text_stay_as_written() -> None:
    sentence = "android.permission.X reaches something new, outside the necessary scope of nothing"
    assert finding_message(sentence, "zh-CN") == (sentence, "en")  # marked English, not guessed
    assert context_line("a context no rule writes", "zh-CN").lang == "en"
    assert rule_text(DISCLAIMER, "en") == (DISCLAIMER, "en")


def _upload_inventory(world: World, lang: str) -> str:
    c, csrf = signed_in(world, f"app-checker-{lang.lower()}")
    inventory = violating_inventory(rule_data().app_type(1))
    r = c.post(
        f"/console/checks?lang={lang}", data={"kind": "app", "csrf_token": csrf},
        files={"file": ("app.yaml", yaml.safe_dump(inventory).encode(), "application/yaml")},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    page: str = r.text
    return page


def test_the_chinese_app_check_page_has_no_english_text(world: World) -> None:
    page = _upload_inventory(world, "zh-CN")
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert 'data-check="VEIL-APP-001"' in main
    assert 'lang="en"' not in main, re.findall(r'<[^>]*lang="en"[^>]*>[^<]*', main)
    assert "基本功能" in main and "不构成法律意见" in main
    english = _upload_inventory(world, "en")
    assert "is not necessary for type 1 Map navigation" in english
    assert "Not legal advice." in english and "基本功能" not in english
