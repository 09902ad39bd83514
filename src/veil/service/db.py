"""The service's tables (accounts, login attempts, sessions, API tokens, person links), in the same
database as the ledger and consent: the SQLite file in ``$VEIL_HOME`` (mode 0600) or PostgreSQL.

Tables are prefixed ``veil_service_``. Nothing is kept in the app process, so several ``veil serve``
processes on one PostgreSQL share sessions, tokens and the login rate limit.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from veil.consent.store import SharedConnection, sqlite_path
from veil.errors import VeilError

PREFIX = "veil_service_"


class ServiceDbError(VeilError):
    """The service database cannot be opened, read or written."""


def _schema(postgres: bool) -> list[str]:
    big = "BIGINT"
    p = PREFIX
    return [
        f"""CREATE TABLE IF NOT EXISTS {p}accounts (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, pseudonym TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL, created_at {big} NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {p}login_attempts (
            attempt_key TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start {big} NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {p}sessions (
            id_hash TEXT PRIMARY KEY, account TEXT NOT NULL, csrf TEXT NOT NULL,
            created_at {big} NOT NULL, expires_at {big} NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {p}tokens (
            token_id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
            label TEXT NOT NULL, created_by TEXT, created_at {big} NOT NULL,
            expires_at {big}, revoked_at {big})""",
        f"""CREATE TABLE IF NOT EXISTS {p}person_links (
            link_id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,
            created_by TEXT, created_at {big} NOT NULL, expires_at {big} NOT NULL,
            revoked_at {big})""",
        f"CREATE INDEX IF NOT EXISTS {p}person_links_subject ON {p}person_links (subject)",
    ]


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing; tighten it (and its WAL files) if it exists.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it, including those of SQLite connections already open on it (the
    ledger's), and another process could then delete the WAL they still use.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    for extra in ("", "-wal", "-shm"):
        p = Path(str(path) + extra)
        if p.exists():
            p.chmod(0o600)


class ServiceDb(SharedConnection):
    """The service tables in the database at ``url`` (SQLite path/URL or ``postgresql://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self.postgres = self.path is None
        self._lock = threading.RLock()
        self._conn: Any = self._connect()
        with self.transaction() as cur:
            for sql in _schema(self.postgres):
                cur.execute(sql)

    def _connect(self) -> Any:
        if self.path is not None:
            try:
                _private_file(self.path)
                conn = sqlite3.connect(
                    str(self.path), isolation_level=None, check_same_thread=False, timeout=30
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA secure_delete=ON")
            except (OSError, sqlite3.Error) as exc:
                raise ServiceDbError(
                    f"cannot open the service database {self.path}: {exc}"
                ) from None
            return conn
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            msg = " ".join(str(exc).split())
            raise ServiceDbError(f"cannot connect to the service database: {msg}") from None

    def _fail(self, message: str) -> VeilError:
        return ServiceDbError(f"service database error: {message}")
