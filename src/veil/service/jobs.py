"""Background jobs whose state lives in the database (``veil_service_jobs``), so that any
``veil serve`` process can answer a poll for a job another process runs.

A job is started by one process in a worker thread; it writes its progress (``done`` of
``total``) at most every :data:`PROGRESS_EVERY_S` seconds and a heartbeat with it. A job that is
still ``running`` but whose heartbeat is older than :data:`STALE_AFTER_S` belonged to a process
that died: it is reported ``lost`` (start it again).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veil.errors import VeilError
from veil.service.db import PREFIX, ServiceDb

TABLE = f"{PREFIX}jobs"
PROGRESS_EVERY_S = 0.5
STALE_AFTER_S = 120
HEARTBEAT_S = 10.0


@dataclass(frozen=True)
class Job:
    """One job's state as any process reads it."""

    job_id: str
    kind: str
    state: str  # running | done | failed | lost
    done: int
    total: int
    created_by: str | None
    created_at: int
    updated_at: int
    result: dict[str, Any] | None


def ensure_table(db: ServiceDb) -> None:
    """Create the jobs table if it is missing."""
    big = "BIGINT"
    with db.transaction() as cur:
        cur.execute(
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
            done {big} NOT NULL, total {big} NOT NULL, created_by TEXT,
            created_at {big} NOT NULL, updated_at {big} NOT NULL, result TEXT)"""
        )


def get_job(db: ServiceDb, job_id: str, kind: str) -> Job | None:
    """The job ``job_id`` of ``kind``, or None; a running job with no recent heartbeat is lost."""
    rows = db.query(
        f"SELECT job_id, kind, state, done, total, created_by, created_at, updated_at, result "
        f"FROM {TABLE} WHERE job_id = ? AND kind = ?",
        (job_id, kind),
    )
    if not rows:
        return None
    r = rows[0]
    state = str(r[2])
    if state == "running" and time.time() - int(r[7]) > STALE_AFTER_S:
        state = "lost"
    result = json.loads(str(r[8])) if r[8] is not None else None
    return Job(
        str(r[0]), str(r[1]), state, int(r[3]), int(r[4]), r[5], int(r[6]), int(r[7]), result
    )


def _update(db: ServiceDb, job_id: str, **fields: Any) -> None:
    fields["updated_at"] = int(time.time())
    names = ", ".join(f"{k} = ?" for k in fields)
    with db.transaction() as cur:
        cur.execute(f"UPDATE {TABLE} SET {names} WHERE job_id = ?", (*fields.values(), job_id))


Work = Callable[[Callable[[int, int], None]], dict[str, Any]]


def start_job(db: ServiceDb, kind: str, work: Work, created_by: str | None) -> Job:
    """Record a new job and run ``work(progress)`` in a thread; its return value (a JSON-able
    dict) becomes the job's result. An exception fails the job with its one-line message."""
    job_id = secrets.token_hex(16)
    now = int(time.time())
    with db.transaction() as cur:
        cur.execute(
            f"INSERT INTO {TABLE} (job_id, kind, state, done, total, created_by, created_at, "
            f"updated_at, result) VALUES (?, ?, 'running', 0, 0, ?, ?, ?, NULL)",
            (job_id, kind, created_by, now, now),
        )
    last = [0.0]
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        t = time.monotonic()
        if t - last[0] >= PROGRESS_EVERY_S:
            last[0] = t
            _update(db, job_id, done=done, total=total)

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                _update(db, job_id)
            except VeilError:
                return

    def run() -> None:
        beat = threading.Thread(target=heartbeat, name=f"veil-job-beat-{job_id[:8]}", daemon=True)
        beat.start()
        try:
            result = work(progress)
            done = int(result.get("size", 0))
            final: dict[str, Any] = {"state": "done", "done": done, "total": done}
        except Exception as exc:  # the job's failure is its result, never a crash of the app
            result = {"error": " ".join(str(exc).split()) or type(exc).__name__}
            final = {"state": "failed"}
        finally:
            stop.set()
        # if the app is shutting down the write fails: the job stops beating and reads ``lost``
        with contextlib.suppress(VeilError):
            _update(db, job_id, result=json.dumps(result), **final)

    threading.Thread(target=run, name=f"veil-job-{job_id[:8]}", daemon=True).start()
    job = get_job(db, job_id, kind)
    assert job is not None
    return job
