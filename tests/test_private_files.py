"""Veil's home is 0700 and its SQLite databases (and -wal/-shm files) are 0600 whatever the umask;
an existing home or database that group or others can read gets one warning, and keeps its mode."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from veil.config import default_db_url
from veil.consent.store import ConsentStore
from veil.ledger.stores import open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files world-writable: modes must not depend on it."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    env["VEIL_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0o022); "
         "from veil.cli.main import main; main(sys.argv[1:])", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )  # fmt: skip


def test_fresh_home_and_databases_are_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    home = tmp_path / "new" / "home"
    monkeypatch.setenv("VEIL_HOME", str(home))
    store = ConsentStore()
    ledger = open_store(default_db_url())
    with store.transaction() as cur:
        cur.execute("CREATE TABLE t (x)")
        cur.execute("INSERT INTO t VALUES (1)")
    db = home / "veil.db"
    assert mode(home) == 0o700 and mode(home.parent) == 0o700
    assert mode(db) == 0o600
    sidecars = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
    assert all(p.exists() for p in sidecars)
    assert [mode(p) for p in sidecars] == [0o600, 0o600]
    store.close()
    ledger.close()


def test_database_outside_home_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "elsewhere" / "ledger.db"
    store = open_store(f"sqlite:///{db}")
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
    assert mode(db.with_name("ledger.db-wal")) == 0o600
    store.close()


def test_ledger_init_makes_a_private_home(tmp_path: Path) -> None:
    home = tmp_path / "veil-home"
    result = cli(home, "ledger", "init")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert mode(home) == 0o700
    assert mode(home / "veil.db") == 0o600


def test_existing_shared_database_is_warned_about_and_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "shared.db"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="veil"):
        ConsentStore(f"sqlite:///{db}").close()
    warnings = [r.getMessage() for r in caplog.records if str(db) in r.getMessage()]
    assert len(warnings) == 1 and "group or others" in warnings[0]
    assert "\n" not in warnings[0]
    assert mode(db) == 0o644  # documented: existing files keep their owner's mode


def test_existing_shared_home_and_database_warn_on_stderr(tmp_path: Path) -> None:
    home = tmp_path / "open-home"
    home.mkdir()
    home.chmod(0o755)
    sqlite3.connect(home / "veil.db").close()
    (home / "veil.db").chmod(0o644)
    result = cli(home, "ledger", "init")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(lines) == 2, result.stderr
    assert any(f"Veil home {home} " in line for line in lines)
    assert any(f"database {home / 'veil.db'} " in line for line in lines)
    assert mode(home) == 0o755 and mode(home / "veil.db") == 0o644
