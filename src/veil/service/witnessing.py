"""The witnessing schedule: publish a new checkpoint, under the service's witness policy, after
each ingest batch and every ``witness_interval_s`` seconds.

Any number of ``veil serve`` processes may run the schedule on one database; a database-wide lock
lets exactly one of them sequence a checkpoint at a time (PostgreSQL: a session advisory lock on a
connection of its own, released by the server if the process dies; SQLite: an exclusive
``flock`` on a file beside the database). A round signs the current head, asks every witness
(``settings.witnesses``: URLs or local witness folders) to cosign it, and stores the checkpoint
only once ``settings.witness_quorum`` (default: all) trusted witnesses did
(:func:`~veil.ledger.witness_http.checkpoint_with_policy`). A round whose policy is not met
publishes nothing and is retried at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veil.consent.store import sqlite_path
from veil.errors import VeilError
from veil.ledger.note import NoteError
from veil.private import exclusive_lock

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.ledger.witness_http import PolicyCheckpoint
    from veil.service.state import ServiceState

LOCK_KEY = 0x7665696C_5751  # "veil" "WQ": the witnessing lock's advisory key
LOG = logging.getLogger("veil.service.witnessing")


@contextmanager
def sequencer_lock(db_url: str) -> Iterator[None]:
    """Hold the database-wide witnessing lock (blocking) for the body of the ``with``."""
    path = sqlite_path(db_url)
    if path is None:
        import psycopg

        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        return
    with exclusive_lock(Path(str(path) + ".witness-lock")):
        yield


def _witnesses(specs: tuple[str, ...]) -> list[Any]:
    from veil.ledger.witness_http import open_cosigning_witnesses

    return list(open_cosigning_witnesses(specs))


def witness_round(state: ServiceState) -> PolicyCheckpoint | None:
    """One round under the lock: publish a checkpoint of the head if it grew since the latest
    published one and the witness policy is met; None when there was nothing to do."""
    from veil.ledger.witness_http import checkpoint_with_policy

    s = state.settings
    with sequencer_lock(s.db_url()):
        ledger: Ledger = state.ledger()
        latest = ledger.latest_checkpoint()
        if latest is not None and latest.size >= ledger.head().size:
            return None
        ws = _witnesses(s.witnesses)
        quorum = len(ws) if s.witness_quorum is None else s.witness_quorum
        return checkpoint_with_policy(ledger, ws, s.witness_keys, quorum)


class WitnessSchedule:
    """The background thread that runs :func:`witness_round` on wake-ups and every interval."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.last_error: str | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="veil-witnessing", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a round soon (after an ingest batch)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread after its current round."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        interval = self.state.settings.witness_interval_s
        while not self._stop.is_set():
            try:
                witness_round(self.state)
                self.last_error = None
            except (VeilError, NoteError, OSError) as exc:
                self.last_error = " ".join(str(exc).split())
                LOG.warning("witnessing: %s", self.last_error)
            except Exception as exc:  # the schedule must outlive any one bad round
                self.last_error = f"{type(exc).__name__}: {exc}"
                LOG.exception("witnessing round failed")
            self.rounds += 1
            self._wake.wait(interval)
            self._wake.clear()
