"""`veil check` on the command line: exit status 0/1/2, every format, -o, listings, help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rules.conftest import EXAMPLES, compliant_inventory, shared_path, write_yaml
from tests.rules.sarif_schema import validate_sarif
from veil.cli.main import main
from veil.rules.taxonomy import resolve_app_type


def veil(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``veil ARGS`` in-process; return exit status, stdout and stderr."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_exit_0_when_compliant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = veil(capsys, "check", "app", str(EXAMPLES / "app-maps.yaml"))
    assert code == 0
    assert out.rstrip().splitlines()[-2] == "0 findings: compliant"


def test_exit_1_with_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = veil(capsys, "check", "app", str(EXAMPLES / "app-shop.yaml"))
    assert code == 1
    assert "ERROR VEIL-APP-001" in out and "PIPL Art. 16 [verified-from-source]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "app", "missing.yaml"], "does not exist"),
        (["check", "deployment", "missing.yaml"], "does not exist"),
        (["check", "apk", "missing.apk", "--type", "1"], "does not exist"),
        (["check", "apk", str(EXAMPLES / "app-maps.yaml"), "--type", "1"], "not a ZIP"),
        (["check", "apk", str(EXAMPLES / "app-maps.yaml"), "--type", "99"], "1 to 39"),
        (["check", "apk", str(EXAMPLES / "app-maps.yaml"), "--type", "Spaceships"], "unknown"),
    ],
)
def test_exit_2_for_bad_input_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = veil(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("veil: error: ") and err.count("\n") == 1 and message in err


def test_exit_2_for_malformed_inventory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("app: [unclosed\n", encoding="utf-8")
    code, _, err = veil(capsys, "check", "app", str(bad))
    assert code == 2 and "invalid YAML at line" in err


def test_exit_2_for_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = veil(capsys, "check", "app", str(EXAMPLES / "app-maps.yaml"), "-f", "pdf")
    assert code == 2 and "pdf" in err
    code, _, err = veil(capsys, "check", "apk", str(EXAMPLES / "app-maps.yaml"))
    assert code == 2 and "--type" in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "html"])
def test_formats_on_stdout(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = veil(
        capsys, "check", "deployment", str(EXAMPLES / "deployment-sales-office.yaml"), "-f", fmt
    )
    assert code == 1
    if fmt == "json":
        body = json.loads(out)
        assert body["compliant"] is False and body["kind"] == "deployment"
    elif fmt == "sarif":
        log = json.loads(out)
        validate_sarif(log)
        assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"VEIL-LOCAL-NANJING-001"}
    else:
        assert out.startswith("<!DOCTYPE html>") and "VEIL-LOCAL-NANJING-001" in out


def test_json_flag_is_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "app-shop.yaml")
    _, by_flag, _ = veil(capsys, "check", "app", path, "--json")
    _, by_format, _ = veil(capsys, "check", "app", path, "--format", "json")
    assert json.loads(by_flag) == json.loads(by_format)


def test_output_file_is_written_and_verdict_goes_to_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "reports" / "veil.sarif"
    for _ in range(2):  # the second run replaces the first report
        code, out, err = veil(
            capsys,
            "check",
            "app",
            str(EXAMPLES / "app-shop.yaml"),
            "-f",
            "sarif",
            "-o",
            str(target),
        )
        assert code == 1 and out == ""
        assert err.startswith("4 findings (3 errors, 1 warning): not compliant; report written")
    validate_sarif(json.loads(target.read_text(encoding="utf-8")))
    assert sorted(p.name for p in target.parent.iterdir()) == ["veil.sarif"]


def test_every_type_by_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for number in (1, 21, 39):
        path = write_yaml(
            tmp_path / f"t{number}.yaml", compliant_inventory(resolve_app_type(number))
        )
        assert veil(capsys, "check", "app", str(path))[0] == 0


def test_real_apks_by_cli(capsys: pytest.CaptureFixture[str]) -> None:
    jamendo = shared_path("apks", "com.teleca.jamendo_35.apk")
    code, out, _ = veil(capsys, "check", "apk", str(jamendo), "--type", "在线影音类", "--json")
    assert code == 1
    body = json.loads(out)
    assert body["subject"] == "Jamendo"
    assert [f["subject"] for f in body["findings"]] == [
        "android.permission.READ_PHONE_STATE",
        "android.permission.WRITE_EXTERNAL_STORAGE",
    ]
    invalid = shared_path("apks", "Invalid.apk")
    code, out, _ = veil(capsys, "check", "apk", str(invalid), "-t", "30")
    assert code == 0 and "package: re.androguard.android.invalid" in out


def test_veil_checks_its_own_gate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = veil(capsys, "check", "deployment", str(EXAMPLES / "veil-gate.yaml"))
    assert code == 0 and "veil gate: consent purpose lobby-gate, mode blur" in out
    text = (EXAMPLES / "veil-gate.yaml").read_text(encoding="utf-8")
    shown = tmp_path / "gate.yaml"
    shown.write_text(text.replace("mode: blur", "mode: none"), encoding="utf-8")
    code, out, _ = veil(capsys, "check", "deployment", str(shown))
    assert code == 1 and "ERROR VEIL-DEP-015" in out and "shown unredacted" in out


def test_types_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = veil(capsys, "check", "types", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["number"] for r in rows] == list(range(1, 40))
    assert sum(1 for r in rows if not r["necessary_items"]) == 13
    assert rows[0]["citation"] == "Necessary-PI Provisions (2021) Art. 5(1)"
    code, out, _ = veil(capsys, "check", "types")
    assert code == 0 and len(out.splitlines()) == 39 and "地图导航类 Map navigation" in out


def test_items_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = veil(capsys, "check", "items", "--json")
    rows = {row["key"]: row for row in json.loads(out)}
    assert code == 0
    for key in ("face", "fingerprint", "voiceprint"):
        assert rows[key]["category"] == "biometric" and rows[key]["sensitive"] is True
    code, out, _ = veil(capsys, "check", "items")
    assert "face [biometric SENSITIVE]" in out


@pytest.mark.parametrize("command", ["app", "apk", "deployment", "types", "items"])
def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = veil(capsys, "check", command, "--help")
    assert code == 0
    assert "Examples:" in out and f"veil check {command}" in out


def test_group_help_gives_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = veil(capsys, "check", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "0 compliant" in flat and "1 findings" in flat and "2 bad input" in flat
    assert "docs/check.md" in flat
