"""``veil consent`` without ``--json``: each command prints the text of the library result a
Python caller gets (lines as they are, tables with their rows), and the export file is private."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from veil.cli.main import main
from veil.consent.record_views import RecordFilter, list_records, show_record
from veil.consent.session import in_registry

DIGEST = "sha256:" + "1" * 64


def veil(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def test_the_cli_prints_what_the_library_returns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert veil(capsys, "consent", "purpose", "add", "greet")[1] == "purpose greet declared\n"
    grant = ("consent", "grant", "-s", "m-7", "--controller", "Shop", "-p", "greet",
             "--notice-version", "v1", "--notice-digest", DIGEST, "--method", "app")  # fmt: skip
    _, out = veil(capsys, *grant)
    (record,) = in_registry(None, list_records, RecordFilter()).items
    record_id, expires = record.record_id, record.expires_at
    assert out == f"consent {record_id} recorded; valid until {expires.isoformat()}\n"
    _, out = veil(capsys, "consent", "list")
    table = in_registry(None, list_records, RecordFilter()).text()[0]
    assert "1 consent record(s)" in out and all(cell in out for cell in table.rows[0])  # type: ignore[union-attr]
    _, out = veil(capsys, "consent", "show", record_id)
    rows = in_registry(None, show_record, record_id).text()[0].rows  # type: ignore[union-attr]
    assert [line.split()[0] for line in out.splitlines() if line.strip()][:5] == [
        label.split()[0] for label, _ in rows[:5]
    ]
    export = tmp_path / "m-7.json"
    _, out = veil(capsys, "consent", "export", "-s", "m-7", "-o", export)
    assert out == f"exported 1 consent(s), 2 event(s) to {export}\n"
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert json.loads(export.read_text(encoding="utf-8"))["subject"] == "m-7"
    _, out = veil(capsys, "consent", "withdraw", record_id)
    assert out == f"consent {record_id} withdrawn; face templates deleted\n"
    assert veil(capsys, "consent", "expire")[1] == "0 consent(s) expired\n"
    _, out = veil(capsys, "consent", "export", "-s", "m-7")
    assert "subject m-7: 1 consent(s)" in out
    assert "0 face template(s); 4 ledger event(s):" in out
    assert out.count("consent_withdrawn") == 1 and out.count(" export ") == 2
