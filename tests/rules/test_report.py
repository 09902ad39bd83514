"""Reports: text, JSON, SARIF 2.1.0 and HTML carry findings, citations and certainty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.rules.conftest import EXAMPLES, compliant_inventory, write_yaml
from tests.rules.sarif_schema import SarifError, validate_sarif
from veil.rules.apk import ApkFeature, ApkManifest, check_manifest
from veil.rules.apps import check_app
from veil.rules.deployments import check_deployment
from veil.rules.models import CheckInputError, Report
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


@pytest.mark.parametrize("fmt", [OutputFormat.TEXT, OutputFormat.HTML])
def test_people_formats_list_the_checks_that_ran(fmt: OutputFormat) -> None:
    report = check_deployment(EXAMPLES / "deployment-residential-gate.yaml")
    assert report.compliant and "VEIL-LOCAL-HANGZHOU-001" in report.checks_run
    assert "checks run: " + ", ".join(report.checks_run) in render(report, OutputFormat.TEXT)
    if fmt is OutputFormat.HTML:
        page = render(report, fmt)
        assert "<th>checks run</th><td>VEIL-DEP-001, " in page and "No findings." in page


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
    """SARIF 2.1.0 (schema subset) plus what GitHub code scanning requires."""
    validate_sarif(log)
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


def _apk_report() -> Report:
    manifest = ApkManifest(
        package="a.b",
        target_sdk=34,
        permissions=("android.permission.READ_CONTACTS", "android.permission.USE_BIOMETRIC"),
        features=(ApkFeature("android.hardware.microphone"),),
    )
    return check_manifest(manifest, resolve_app_type(30), "build/app.apk")


def _reports() -> list[Report]:
    return [
        check_app(EXAMPLES / "app-shop.yaml"),
        check_deployment(EXAMPLES / "deployment-sales-office.yaml"),
        _apk_report(),
    ]


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_shows_every_citation_with_its_certainty(fmt: OutputFormat) -> None:
    for report in _reports():
        out = render(report, fmt)
        assert report.findings
        for finding in report.findings:
            assert finding.check_id in out
            for citation in finding.citations:
                if fmt is OutputFormat.JSON:
                    assert f'"article": "{citation.article}"' in out
                    assert f'"certainty": "{citation.certainty.value}"' in out
                else:
                    label = citation.label.replace("'", "&#x27;")
                    shown = (
                        f"{label} <small>[{citation.certainty.value}]</small>"
                        if fmt is OutputFormat.HTML
                        else f"{citation.label} [{citation.certainty.value}]"
                    )
                    assert shown in out, (fmt, shown)


def test_sarif_of_every_report_kind_is_valid() -> None:
    for report in _reports():
        log = json.loads(render(report, OutputFormat.SARIF))
        _validate_sarif(log)
        assert len(log["runs"][0]["results"]) == len(report.findings)


def test_sarif_validator_rejects_broken_logs(shop: Report) -> None:
    """The schema check is not vacuous: each breach of the schema is caught."""
    good = json.loads(render(shop, OutputFormat.SARIF))
    breaks = [
        lambda log: log.pop("version"),
        lambda log: log.__setitem__("version", "2.0.0"),
        lambda log: log["runs"][0].pop("tool"),
        lambda log: log["runs"][0]["tool"]["driver"].pop("name"),
        lambda log: log["runs"][0]["tool"]["driver"]["rules"][0].pop("id"),
        lambda log: log["runs"][0]["tool"]["driver"]["rules"][0].__setitem__("severity", 1),
        lambda log: log["runs"][0]["results"][0].pop("message"),
        lambda log: log["runs"][0]["results"][0].__setitem__("level", "fatal"),
        lambda log: log["runs"][0]["results"][0].__setitem__("ruleIndex", 99),
        lambda log: log["runs"][0]["results"][0]["message"].pop("text"),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].__setitem__("startLine", 0),
        lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"].pop(
            "artifactLocation"
        ),
    ]
    validate_sarif(good)
    for index, breach in enumerate(breaks):
        log = json.loads(json.dumps(good))
        breach(log)
        with pytest.raises(SarifError):
            validate_sarif(log)
        assert index >= 0


def test_sarif_fingerprints_are_stable_and_distinct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alerts keep their identity when unrelated lines move, so CI does not reopen them."""

    def results(path: Path) -> list[dict[str, Any]]:
        log = json.loads(render(check_app(path), OutputFormat.SARIF))
        found: list[dict[str, Any]] = log["runs"][0]["results"]
        return found

    def prints(found: list[dict[str, Any]]) -> list[str]:
        return [r["partialFingerprints"]["veilFinding/v1"] for r in found]

    def lines(found: list[dict[str, Any]]) -> list[int]:
        return [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in found]

    monkeypatch.chdir(EXAMPLES.parent.parent)
    first = results(Path("docs/examples/app-shop.yaml"))
    assert len(set(prints(first))) == len(first) == 4

    moved = tmp_path / "docs" / "examples" / "app-shop.yaml"
    moved.parent.mkdir(parents=True)
    text = (EXAMPLES / "app-shop.yaml").read_text(encoding="utf-8")
    moved.write_text("# two more\n# lines\n" + text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    second = results(Path("docs/examples/app-shop.yaml"))
    assert prints(second) == prints(first)
    assert lines(second) == [line + 2 for line in lines(first)]


def test_write_atomic_to_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match="cannot be written") as info:
        write_atomic(tmp_path, "x")
    assert info.value.exit_code == 2


def test_deliver_prints_the_report_or_writes_it_and_names_the_file(
    shop: Report, tmp_path: Path
) -> None:
    from veil.rules.report import deliver, summary_line

    shown, verdict = deliver(shop, OutputFormat.JSON, None)
    assert json.loads(shown) == json.loads(render(shop, OutputFormat.JSON)) and verdict == ""
    target = tmp_path / "report.sarif"
    shown, verdict = deliver(shop, OutputFormat.SARIF, target)
    assert shown == "" and target.read_text(encoding="utf-8") == render(shop, OutputFormat.SARIF)
    assert verdict == f"{summary_line(shop)}; report written to {target}"
