"""WAL checkpoints off the append path: a background thread copies the SQLite write-ahead log
into the database file, so no durable append waits for one.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that append
answers tens of milliseconds late (the whole WAL is copied and the database file fsynced). The
ledger's connection turns it off (``wal_autocheckpoint=0``) and calls
:meth:`WalCheckpointer.after_commit` instead, which only looks at the WAL's size. Past
:data:`WAKE_PAGES` a thread of its own, on a connection of its own, runs a ``PASSIVE`` checkpoint
(it never blocks the writer or readers). If writers ever outrun it and the WAL passes
:data:`INLINE_PAGES`, the committing thread checkpoints itself, as SQLite would have: the WAL
stays bounded whatever the load. Losing the thread loses nothing: the WAL is the durable copy.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["INLINE_PAGES", "WAKE_PAGES", "WalCheckpointer"]

PAGE = 4096  # SQLite's default page size, which Veil's databases keep
WAKE_PAGES = 4096  # 16 MiB of WAL: the thread checkpoints
INLINE_PAGES = 8 * WAKE_PAGES  # 128 MiB: the writer checkpoints itself (the thread fell behind)
JOURNAL_LIMIT = 4 * WAKE_PAGES * PAGE  # after a checkpoint the WAL file is cut back to this
LOG = logging.getLogger("veil.ledger.wal")


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite database at ``path`` from a background thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = Path(str(path) + "-wal")
        self.checkpoints = 0  # completed background checkpoints (for tests and status)
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while the thread waits for a wake-up
        self._idle.set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @staticmethod
    def configure(conn: sqlite3.Connection) -> None:
        """Turn off SQLite's in-commit checkpoint on the writer's connection."""
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={JOURNAL_LIMIT}")

    def wal_pages(self) -> int:
        """Pages in the WAL file now (0 when there is none)."""
        try:
            return os.stat(self.wal).st_size // PAGE
        except FileNotFoundError:
            return 0

    def after_commit(self, conn: sqlite3.Connection) -> None:
        """Called by the writer after each commit: wake the thread, or checkpoint on ``conn``
        when the WAL is past :data:`INLINE_PAGES`."""
        pages = self.wal_pages()
        if pages >= INLINE_PAGES:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        elif pages >= WAKE_PAGES:
            self._ensure_thread()
            self._wake.set()

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="veil-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            while not self._stop.is_set():
                self._wake.wait()
                self._idle.clear()
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.DatabaseError as exc:  # the next commit wakes it again
                    LOG.warning("WAL checkpoint of %s failed: %s", self.path.name, exc)
                finally:
                    self._idle.set()
        finally:
            conn.close()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no checkpoint is asked for or running; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self._wake.is_set() or not self._idle.is_set():
            if time.monotonic() >= deadline:
                return False
            self._idle.wait(0.01)
        return True

    def close(self) -> None:
        """Stop the thread (after a checkpoint in progress)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
