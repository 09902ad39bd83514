"""Deleted rows are damage, not an empty ledger: a store with leaves but no metadata row, and a
store that lost the checkpoints its log signed, both fail `veil ledger verify` with exit 3."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import event_line
from tests.ledger.ledger_helpers import veil_without_input as veil


def run_sql(db_url: str, *statements: str) -> None:
    """Edit the store behind Veil's back, as a tamperer with database access would."""
    if db_url.startswith("sqlite:///"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        try:
            for s in statements:
                conn.execute(s)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as pg:
        for s in statements:
            pg.execute(s)


@pytest.fixture
def filled(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A ledger with 5 events and 2 checkpoints; the CLI arguments that name it."""
    where = ["--db", db_url, "--keys", str(tmp_path / "keys")]
    assert veil(capsys, "ledger", "init", "--origin", "shop.example/ledger", *where)[0] == 0
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(event_line(i) for i in range(5)) + "\n")
    assert veil(capsys, "ledger", "append", events, *where)[0] == 0
    assert veil(capsys, "ledger", "checkpoint", *where)[0] == 0
    assert veil(capsys, "ledger", "checkpoint", *where)[0] == 0
    code, out, err = veil(capsys, "ledger", "verify", *where)
    assert code == 0 and "2 checkpoints verified" in out, err
    return where


def test_leaves_without_metadata_are_damage(
    filled: list[str], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sql(db_url, "DELETE FROM veil_ledger_meta")
    code, out, err = veil(capsys, "ledger", "verify", *filled)
    assert code == 3 and out == "", err
    assert err.startswith("veil: error: ") and err.count("\n") == 1
    assert "no ledger metadata" in err and "5 leaves" in err and "veil ledger init" not in err
    # init must not paper over the damage by writing new metadata
    code, _, err = veil(capsys, "ledger", "init", *filled)
    assert code == 3 and "no ledger metadata" in err, err
    code, _, err = veil(capsys, "ledger", "init", "--db", filled[1], "--keys", "elsewhere")
    assert code == 3 and "no ledger metadata" in err, err


def test_deleted_checkpoints_fail_verify(
    filled: list[str], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "keys" / "checkpoint.last"
    assert record.stat().st_mode & 0o777 == 0o600
    assert json.loads(record.read_text())["size"] == 5
    run_sql(db_url, "DELETE FROM veil_ledger_cosignatures", "DELETE FROM veil_ledger_checkpoints")
    code, out, err = veil(capsys, "ledger", "verify", *filled)
    assert code == 3 and out == "", err
    last = err.strip().splitlines()[-1]
    assert last.startswith("veil: error: the ledger failed verification: 1 problems")
    assert "the last one this log signed, is missing" in last and "0 checkpoints left" in last


def test_losing_only_the_latest_checkpoint_fails_verify(
    filled: list[str], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sql(
        db_url,
        "DELETE FROM veil_ledger_checkpoints WHERE id = (SELECT MAX(id) FROM veil_ledger_checkpoints)",
    )
    code, out, _ = veil(capsys, "ledger", "verify", *filled, "--json")
    assert code == 3
    report = json.loads(out)
    assert report["checkpoints_checked"] == 1 and report["problem_count"] == 1
    assert "1 checkpoints left" in report["problems"][0]


def test_new_checkpoints_after_verify_keep_verifying(
    filled: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert veil(capsys, "ledger", "checkpoint", *filled)[0] == 0
    code, out, err = veil(capsys, "ledger", "verify", *filled)
    assert code == 0 and "3 checkpoints verified" in out, err


def test_unwritable_record_is_one_line(
    filled: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "keys" / "checkpoint.last"
    record.unlink()
    record.mkdir()  # a folder where the file goes: the rename fails for root too
    code, _, err = veil(capsys, "ledger", "checkpoint", *filled)
    assert code == 2 and err.count("\n") == 1 and "cannot be written" in err, err
