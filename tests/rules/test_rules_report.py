"""Reports: text, JSON, SARIF 2.1.0 and HTML carry findings, citations and certainty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, compliant_inventory, write_yaml
from veil.rules.apps import check_app
from veil.rules.deployments import check_deployment
from veil.rules.models import Report
from veil.rules.report import OutputFormat, render, write_atomic
from veil.rules.taxonomy import resolve_app_type

SARIF_LEVELS = {"none", "note", "warning", "error"}


@pytest.fixture(scope="module")
def shop() -> Report:
    return check_app(EXAMPLES / "app-shop.yaml")


def test_text_shows_every_finding_with_citations_and_certainty(shop: Report) -> None:
    text = render(shop, OutputFormat.TEXT)
    for finding in shop.findings:
        assert finding.check_id in text
        assert f"{finding.location.path}:{finding.location.line}" in text
    assert "PIPL Art. 29 [verified-from-source]" in text
    assert "Necessary-PI Provisions (2021) Art. 5(6) [verified-secondary]" in text
    assert text.rstrip().splitlines()[-2] == "4 findings (3 errors, 1 warning): not compliant"


def test_text_shows_veil_reading(tmp_path: Path) -> None:
    report = check_deployment(EXAMPLES / "deployment-sales-office.yaml")
    assert "reading: Veil reads separate consent" in render(report, OutputFormat.TEXT)


def test_json_round_trip(shop: Report) -> None:
    body = json.loads(render(shop, OutputFormat.JSON))
    assert body["compliant"] is False
    assert (
        Report.model_validate({k: v for k, v in body.items() if k not in ("compliant", "summary")})
        == shop
    )
    assert body["findings"][0]["citations"][0]["certainty"] == "verified-secondary"


def _validate_sarif(log: dict[str, Any]) -> None:
    """The parts of SARIF 2.1.0 that GitHub code scanning requires."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "veil"
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
        assert rule["properties"]["certainty"] in {
            "verified-from-source",
            "verified-secondary",
            "recalled",
        }
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in SARIF_LEVELS
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert "\\" not in physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1


def test_sarif_findings(shop: Report) -> None:
    log = json.loads(render(shop, OutputFormat.SARIF))
    _validate_sarif(log)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [f.check_id for f in shop.findings]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "docs/examples/app-shop.yaml"
    )
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 14
    assert "PIPL Art. 16" in results[0]["message"]["text"]


def test_sarif_of_a_compliant_run_lists_rules_and_no_results(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "ok.yaml", compliant_inventory(resolve_app_type(2)))
    log = json.loads(render(check_app(path), OutputFormat.SARIF))
    _validate_sarif(log)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 5


def test_sarif_of_deployment_and_relative_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES.parent.parent)
    report = check_deployment((EXAMPLES / "deployment-sales-office.yaml").resolve())
    log = json.loads(render(report, OutputFormat.SARIF))
    _validate_sarif(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "docs/examples/deployment-sales-office.yaml"


def test_html_escapes_everything(tmp_path: Path) -> None:
    inventory = compliant_inventory(resolve_app_type(4))
    inventory["app"] = "<script>alert(1)</script>"
    inventory["functions"][0]["collects"].append({"item": "face", "purpose": "<b>x</b>"})
    page = render(check_app(write_yaml(tmp_path / "a.yaml", inventory)), OutputFormat.HTML)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "VEIL-APP-002" in page and "verified-from-source" in page
    assert page.startswith("<!DOCTYPE html>")


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
