"""The shared store: PostgreSQL, for many gateways writing one ledger.

Appenders in any number of processes serialize on a row lock of the head row
(``SELECT ... FOR UPDATE``), so the tree never forks; a commit is durable before the append
returns (PostgreSQL's default ``synchronous_commit = on``). Batches use ``COPY``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from veil.errors import ConfigError
from veil.ledger.stores import LEVEL_ONE, DuplicateEventError, LeafRow, subject_key
from veil.ledger.stores.base import SqlStore, SqlTxn
from veil.ledger.stores.errors import StoreCorruptError
from veil.ledger.stores.sql import POSTGRES, Queries

_SQL = Queries(POSTGRES)
_SCHEMA_LOCK = 0x7665696C  # advisory lock id ("veil") held while creating tables


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class _PostgresTxn(SqlTxn):
    """An append on PostgreSQL: leaves and nodes by ``COPY``."""

    def insert(
        self,
        start: int,
        leaves: Sequence[LeafRow],
        leaf_hashes: Sequence[bytes],
        nodes: Sequence[tuple[int, bytes]],
    ) -> None:
        import psycopg

        with self.conn.cursor() as cur:
            try:
                with cur.copy(
                    "COPY veil_ledger_leaves (idx, hash, data, event_id, subject, subject_key) "
                    "FROM STDIN"
                ) as cp:
                    for i, (h, r) in enumerate(zip(leaf_hashes, leaves, strict=True)):
                        cp.write_row(
                            (start + i, h, r.data, r.event_id, r.subject, subject_key(r.subject))
                        )
            except psycopg.errors.UniqueViolation:
                raise DuplicateEventError(
                    "an event with the same id is already in the log"
                ) from None
            with cur.copy("COPY veil_ledger_nodes (id, hash) FROM STDIN") as cp:
                for row in nodes:
                    cp.write_row(row)


class PostgresStore(SqlStore):
    """Ledger tables in a PostgreSQL database (other tables may share it)."""

    sql = _SQL

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self._lock = threading.RLock()
        try:
            self.conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise ConfigError(f"cannot connect to PostgreSQL: {_one_line(exc)}") from None
        try:
            with self._txn() as c:
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._upgrade()
                c.execute(_SQL.schema)
        except BaseException:
            self.conn.close()
            raise

    def _upgrade(self) -> None:
        """Give ledgers made before the 64-bit subject index their ``subject_key`` column."""
        cols = {
            str(r[0])
            for r in self.conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'veil_ledger_leaves'"
            )
        }
        if cols and "subject_key" not in cols:  # else a new database, or already current
            self._add_subject_keys(self.conn)

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """Hold the connection lock; database failures become one-line Veil errors."""
        import psycopg

        with self._lock:
            try:
                yield self.conn
            except psycopg.OperationalError as exc:
                raise ConfigError(f"PostgreSQL: {_one_line(exc)}") from None
            except psycopg.Error as exc:
                raise StoreCorruptError(f"PostgreSQL ledger tables: {_one_line(exc)}") from None

    @contextmanager
    def _txn(self) -> Iterator[Any]:
        with self._conn() as c, c.transaction():
            yield c

    @contextmanager
    def write(self) -> Iterator[_PostgresTxn]:
        """The append transaction (its head read locks the head row)."""
        with self._txn() as c:
            yield _PostgresTxn(self, c)

    def _get_nodes(self, conn: Any, keys: Sequence[int]) -> dict[int, bytes]:
        if not keys:
            return {}
        leaves = [k for k in keys if k < LEVEL_ONE]
        nodes = [k for k in keys if k >= LEVEL_ONE]
        rows = conn.execute(
            "SELECT idx, hash FROM veil_ledger_leaves WHERE idx = ANY(%s) "
            "UNION ALL SELECT id, hash FROM veil_ledger_nodes WHERE id = ANY(%s)",
            (leaves, nodes),
        ).fetchall()
        return {int(k): bytes(h) for k, h in rows}

    def storage_bytes(self) -> int | None:
        """Bytes the ledger's tables, their indexes and TOAST take."""
        with self._conn() as c:
            row = c.execute(
                "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND c.relname LIKE 'veil_ledger_%%' "
                "AND n.nspname = current_schema()"
            ).fetchone()
        return int(row[0] or 0) if row else None

    def check_integrity(self) -> list[str]:
        """PostgreSQL checks its own pages; the ledger's audit checks the content."""
        return []

    def close(self) -> None:
        """Close the database connection."""
        with self._conn():
            self.conn.close()
