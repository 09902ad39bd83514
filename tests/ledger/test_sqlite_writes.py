"""The SQLite store's write path: WAL checkpoints off the append path (veil.ledger.stores.wal:
appends never copy the WAL themselves below the inline bound, a thread does, and the log stays
whole and bounded), and writers of several processes taking turns on a lock file."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.errors import ConfigError
from veil.ledger import Ledger
from veil.ledger.stores import sqlite as sqlite_store
from veil.ledger.stores import wal
from veil.ledger.stores.sqlite import SqliteStore
from veil.private import exclusive_lock


class _RecordingConn:
    """Stands in for the writer's connection: records what after_commit runs on it."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def execute(self, sql: str) -> Any:
        self.sql.append(sql)
        return self

    def fetchall(self) -> list[Any]:
        return []


def test_the_writers_connection_never_checkpoints_inside_a_commit(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "l.db")
    try:
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    finally:
        store.close()


def test_below_the_inline_bound_the_writer_only_wakes_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = wal.WalCheckpointer(tmp_path / "x.db")
    conn = _RecordingConn()
    woken: list[bool] = []
    monkeypatch.setattr(cp, "_ensure_thread", lambda: woken.append(True))
    for pages, wakes, inline in ((0, 0, 0), (wal.WAKE_PAGES - 1, 0, 0), (wal.WAKE_PAGES, 1, 0),
                                 (wal.INLINE_PAGES - 1, 2, 0), (wal.INLINE_PAGES, 2, 1)):  # fmt: skip
        monkeypatch.setattr(cp, "wal_pages", lambda p=pages: p)
        cp.after_commit(conn)  # type: ignore[arg-type]
        assert (len(woken), len(conn.sql)) == (wakes, inline), pages
    assert conn.sql == ["PRAGMA wal_checkpoint(PASSIVE)"]  # past the bound, as SQLite would


def _append_batches(tmp_path: Path, name: str) -> tuple[int, int]:
    """40 batches of 50 events into a new ledger; (its WAL's peak pages, checkpoints run).
    Reopened, the log gives back every leaf under the same root and passes verify."""
    url = f"sqlite:///{tmp_path / name}"
    keys = tmp_path / f"{name}.keys"
    with Ledger.open(url, keys, origin="test.example/log") as led:
        store = led.store
        assert isinstance(store, SqliteStore)
        peak = 0
        for batch in range(40):
            led.append_many(make_event(batch * 50 + i) for i in range(50))
            peak = max(peak, store.wal.wal_pages())
            assert store.wal.wait_idle()  # the thread has its turn, however busy the machine
        head, done = led.head(), store.wal.checkpoints
    with Ledger.open(url, keys, create=False) as again:
        assert again.head() == head
        assert head.size == 2000
        assert again.verify().ok
    return peak, done


def test_the_thread_checkpoints_and_the_wal_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wal, "INLINE_PAGES", 10**9)  # only the thread may checkpoint
    monkeypatch.setattr(wal, "WAKE_PAGES", 10**9)
    unchecked, none = _append_batches(tmp_path, "control.db")
    assert none == 0
    monkeypatch.setattr(wal, "WAKE_PAGES", 16)
    peak, done = _append_batches(tmp_path, "l.db")
    assert done > 0
    assert peak < unchecked / 2, (peak, unchecked)


def _hold_lock(path: str, held: Any, release: Any) -> None:
    with exclusive_lock(Path(path)):
        held.set()
        release.wait(30)


@contextmanager
def _locked_by_another_process(lock: Path) -> Iterator[Any]:
    """Another process holds ``lock`` for the body of the ``with``; setting the yielded event
    lets it go."""
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_lock, args=(str(lock), held, release))
    other.start()
    try:
        assert held.wait(30)
        yield release
    finally:
        release.set()
        other.join(30)


def test_a_writer_waits_for_another_process_and_goes_as_soon_as_it_lets_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    lock = tmp_path / "l.db.append-lock"
    with Ledger.open(url, tmp_path / "keys", origin="test.example/log") as led:
        led.append(make_event(0))
        with _locked_by_another_process(lock) as release:
            done: list[float] = []

            def write() -> None:
                led.append(make_event(1))
                done.append(time.monotonic())

            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.3)
            assert not done  # the append waits for the other process
            let_go = time.monotonic()
            release.set()
            writer.join(30)
            assert done and done[0] - let_go < 5
            assert led.head().size == 2
        # a writer elsewhere that never lets go: a clear error after the wait, nothing lost
        with _locked_by_another_process(lock):
            monkeypatch.setattr(sqlite_store, "WRITE_WAIT_S", 0.2)
            with pytest.raises(ConfigError, match="busy: another process held its write lock"):
                led.append(make_event(2))
        assert led.head().size == 2
        led.append(make_event(3))
        assert led.head().size == 3
    assert lock.stat().st_mode & 0o777 == 0o600


def test_a_lock_file_that_cannot_be_made_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Ledger.open(url, tmp_path / "keys", origin="test.example/log") as led:
        led.append(make_event(0))
        store = led.store
        assert isinstance(store, SqliteStore)
        monkeypatch.setattr(store, "_writers_lock", tmp_path / "no-such-folder" / "lock")
        with pytest.raises(
            ConfigError, match=r"cannot write to SQLite database .*l\.db: No such file"
        ):
            led.append(make_event(1))
        assert led.head().size == 1
