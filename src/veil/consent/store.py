"""The consent tables, in the same database as the ledger (SQLite file or PostgreSQL).

Four tables, prefixed ``veil_consent_`` so they sit beside the ledger's ``veil_ledger_`` tables:
``purposes``, ``records`` (the record as JSON plus indexed columns), ``subject_keys`` (each
subject's AES key, wrapped by the master key) and ``templates`` (encrypted face templates).
:class:`ConsentStore` is the only place that speaks SQL; it hides the two dialects behind
:meth:`ConsentStore.transaction`.

SQLite connections run with ``secure_delete`` on, and :meth:`ConsentStore.purge_free_space`
checkpoints the write-ahead log and vacuums, so that deleted templates and keys leave no bytes
behind in the database files (crypto-shredding plus physical erasure).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.config import default_db_url
from veil.core.dburl import parse_db_url
from veil.core.dialect import Dialect
from veil.errors import ConfigError, VeilError
from veil.private import connect_private

TABLE_PREFIX = "veil_consent_"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

Row = tuple[Any, ...]


class StoreError(VeilError):
    """The consent database cannot be opened, read or written."""


@dataclass(frozen=True)
class TemplateRow:
    """One encrypted template as stored."""

    template_id: str
    subject: str
    record_id: str
    model: str
    blob: bytes
    created_at: str


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path`` or a plain path); ``None`` for PostgreSQL.

    Parsed by :func:`veil.core.dburl.parse_db_url`, as the ledger parses it, so both always open
    the same database.
    """
    return parse_db_url(url).path


class Cursor:
    """Runs SQL written with ``?`` placeholders on either database."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self._raw = raw
        self._dialect = Dialect.POSTGRES if postgres else Dialect.SQLITE

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement (``?`` placeholders become the dialect's); returns self."""
        self._raw.execute(self._dialect.sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        self._raw.executemany(self._dialect.sql(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        """The remaining rows, binary values as ``bytes``."""
        return [tuple(_plain(v) for v in r) for r in self._raw.fetchall()]

    def fetchone(self) -> Row | None:
        """The next row (binary values as ``bytes``), or None when none is left."""
        row = self._raw.fetchone()
        return None if row is None else tuple(_plain(v) for v in row)

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return int(self._raw.rowcount)


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


class SharedConnection:
    """One database connection that threads share under a lock (what the consent store and the
    service database have in common).

    A subclass opens ``_conn``, sets ``postgres`` and ``_lock``, and names its error in ``_fail``.
    """

    postgres: bool
    _lock: threading.RLock
    _conn: Any

    def _fail(self, message: str) -> VeilError:
        """The error a database failure becomes (one line)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One atomic unit of work (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction)."""
        with locked_transaction(self._conn, self.postgres, self._lock, self._fail) as cur:
            yield cur

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only statement."""
        with self.transaction() as cur:
            return cur.execute(sql, params).fetchall()


class ConsentStore(SharedConnection):
    """Consent tables in the database at ``url`` (default: :func:`veil.config.default_db_url`).

    ``schema`` (PostgreSQL only) puts the tables in their own schema, e.g. for tests.
    """

    def __init__(self, url: str | None = None, *, schema: str | None = None) -> None:
        self.url = url or default_db_url()
        self.path = sqlite_path(self.url)
        self.postgres = self.path is None
        self._lock = threading.RLock()
        if schema is not None and not _SCHEMA.match(schema):
            raise ConfigError(f"invalid schema name {schema!r}")
        self.schema = schema
        self._conn: Any = self._connect()
        self._create_tables()

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.path is not None:
            try:
                conn = connect_private(self.path, timeout=30)  # WAL, as the ledger's connection
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("PRAGMA foreign_keys=ON")
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open the consent database {self.path}: {exc}") from None
            return conn
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise ConfigError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from exc
        try:
            pg = psycopg.connect(self.url, autocommit=True)
            if self.schema:
                pg.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                pg.execute(f'SET search_path TO "{self.schema}"')
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the consent database: {exc}".strip()) from None
        return pg

    def _fail(self, message: str) -> VeilError:
        return StoreError(f"consent database error: {message}")

    # -- schema -------------------------------------------------------------------------------
    def _create_tables(self) -> None:
        blob = "BYTEA" if self.postgres else "BLOB"
        p = TABLE_PREFIX
        statements = [
            f"""CREATE TABLE IF NOT EXISTS {p}purposes (
                name TEXT PRIMARY KEY, body TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {p}records (
                record_id TEXT PRIMARY KEY, subject TEXT NOT NULL, state TEXT NOT NULL,
                expires_at TEXT NOT NULL, body TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {p}records_subject ON {p}records (subject)",
            f"CREATE INDEX IF NOT EXISTS {p}records_state ON {p}records (state, expires_at)",
            f"""CREATE TABLE IF NOT EXISTS {p}subject_keys (
                subject TEXT PRIMARY KEY, master_id TEXT NOT NULL, wrapped {blob} NOT NULL,
                created_at TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {p}templates (
                template_id TEXT PRIMARY KEY, subject TEXT NOT NULL, record_id TEXT NOT NULL,
                model TEXT NOT NULL, blob {blob} NOT NULL, created_at TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {p}templates_subject ON {p}templates (subject)",
            f"CREATE INDEX IF NOT EXISTS {p}templates_record ON {p}templates (record_id)",
        ]
        with self.transaction() as cur:
            for sql in statements:
                cur.execute(sql)

    def drop_schema(self) -> None:
        """Drop this store's PostgreSQL schema (tests)."""
        if self.postgres and self.schema:
            with self._lock:
                self._conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def purge_free_space(self) -> None:
        """Make deleted rows physically unrecoverable where the database allows it.

        SQLite: ``secure_delete`` already zeroed freed cells; checkpoint and truncate the WAL (which
        may hold old page images) and vacuum. PostgreSQL: ``VACUUM`` the template and key tables
        (old tuple versions stay in free space and in the server's WAL until overwritten: there,
        the destroyed subject key is what makes them unreadable).
        """
        with self._lock:
            if self.postgres:
                for table in ("templates", "subject_keys"):
                    self._conn.execute(f"VACUUM {TABLE_PREFIX}{table}")
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot purge the consent database: {exc}") from None


@contextmanager
def locked_transaction(
    conn: Any, postgres: bool, lock: threading.RLock, fail: Callable[[str], VeilError]
) -> Iterator[Cursor]:
    """One atomic unit of work on ``conn`` under ``lock`` (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
    a transaction); a database error becomes ``fail(message)``, one line."""
    with lock:
        try:
            if postgres:
                with conn.transaction():
                    yield Cursor(conn.cursor(), True)
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(conn.cursor(), False)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except VeilError:
            raise
        except Exception as exc:
            if _is_db_error(exc):
                raise fail(" ".join(str(exc).split())) from None
            raise


def _is_db_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, psycopg.Error)
