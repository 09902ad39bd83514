"""Opening the service tables must not drop the SQLite locks of a ledger already open on the same
file in this process (closing any descriptor of a file drops all of a process's POSIX locks on
it): otherwise another process closing its connection deletes the WAL the ledger still uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.ledger.ledger_helpers import make_event
from veil.ledger import Ledger
from veil.service.db import ServiceDb

OTHER = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from sqlite_master').fetchall(); c.close()"


def test_service_tables_keep_an_open_ledgers_locks(tmp_path: Path) -> None:
    db = tmp_path / "veil.db"
    url = f"sqlite:///{db}"
    led = Ledger.open(url, tmp_path / "ledger")
    try:
        led.append_many(make_event(i) for i in range(50))
        sdb = ServiceDb(url)  # the service tables in the same file, same process
        subprocess.run([sys.executable, "-c", OTHER, str(db)], check=True, timeout=60)
        # the other process was not the last connection: it must leave the WAL in place
        assert Path(str(db) + "-wal").exists()
        led.append_many(make_event(i) for i in range(50, 80))
        sdb.close()
    finally:
        led.close()
    assert (db.stat().st_mode & 0o777) == 0o600
    with Ledger.open(url, tmp_path / "ledger", create=False) as again:
        assert again.head().size == 80 and again.verify().ok
