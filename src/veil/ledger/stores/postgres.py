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

from veil.errors import ConfigError, VerificationError
from veil.ledger.stores import (
    LEVEL_ONE,
    LEVEL_SHIFT,
    DuplicateEventError,
    LeafRow,
    StoredCheckpoint,
    StoredLeaf,
    subject_key,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS veil_ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_head (
  id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, root BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_leaves (
  idx BIGINT PRIMARY KEY, hash BYTEA NOT NULL, data BYTEA NOT NULL, event_id BYTEA UNIQUE,
  subject BYTEA, subject_key BIGINT);
CREATE INDEX IF NOT EXISTS veil_ledger_leaves_subject
  ON veil_ledger_leaves (subject_key) WHERE subject_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS veil_ledger_nodes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_checkpoints (
  id BIGSERIAL PRIMARY KEY, size BIGINT NOT NULL, root BYTEA NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_cosignatures (
  checkpoint_id BIGINT NOT NULL REFERENCES veil_ledger_checkpoints (id), line TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, line));
"""

_SCHEMA_LOCK = 0x7665696C  # advisory lock id ("veil") held while creating tables


def _leaf(row: Any) -> StoredLeaf:
    return StoredLeaf(
        int(row[0]),
        bytes(row[1]),
        bytes(row[2]) if row[2] is not None else None,
        bytes(row[3]) if row[3] is not None else None,
        int(row[4]) if row[4] is not None else None,
    )


class _Txn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def head(self) -> tuple[int, bytes]:
        row = self.conn.execute(
            "SELECT size, root FROM veil_ledger_head WHERE id = 1 FOR UPDATE"
        ).fetchone()
        if row is None:
            raise ConfigError("the ledger is not initialized in this database")
        return int(row[0]), bytes(row[1])

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        return _get_nodes(self.conn, keys)

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

    def set_head(self, size: int, root: bytes) -> None:
        self.conn.execute(
            "UPDATE veil_ledger_head SET size = %s, root = %s WHERE id = 1", (size, root)
        )


def _get_nodes(conn: Any, keys: Sequence[int]) -> dict[int, bytes]:
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


class PostgresStore:
    """Ledger tables in a PostgreSQL database (other tables may share it)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self._lock = threading.RLock()
        try:
            self.conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise ConfigError(
                f"cannot connect to PostgreSQL: {' '.join(str(exc).split())}"
            ) from None
        try:
            with self._guard(), self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._upgrade()
                self.conn.execute(SCHEMA)
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
        if not cols or "subject_key" in cols:
            return  # a new database, or already current
        self.conn.execute("ALTER TABLE veil_ledger_leaves ADD COLUMN subject_key BIGINT")
        rows = self.conn.execute(
            "SELECT idx, subject FROM veil_ledger_leaves WHERE subject IS NOT NULL"
        ).fetchall()
        with self.conn.cursor() as cur:
            cur.executemany(
                "UPDATE veil_ledger_leaves SET subject_key = %s WHERE idx = %s",
                [(subject_key(bytes(sub)), int(i)) for i, sub in rows],
            )
        self.conn.execute("DROP INDEX IF EXISTS veil_ledger_leaves_subject")
        self.conn.execute(
            "CREATE INDEX veil_ledger_leaves_subject ON veil_ledger_leaves (subject_key) "
            "WHERE subject_key IS NOT NULL"
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the connection lock; database failures become one-line Veil errors."""
        import psycopg

        with self._lock:
            try:
                yield
            except psycopg.OperationalError as exc:
                raise ConfigError(f"PostgreSQL: {' '.join(str(exc).split())}") from None
            except psycopg.Error as exc:
                raise VerificationError(
                    f"PostgreSQL ledger tables: {' '.join(str(exc).split())}"
                ) from None

    def initialize(self, meta: dict[str, str]) -> None:
        from veil.ledger.merkle import EMPTY_ROOT

        with self._guard(), self.conn.transaction():
            for k, v in meta.items():
                self.conn.execute(
                    "INSERT INTO veil_ledger_meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO NOTHING",
                    (k, v),
                )
            self.conn.execute(
                "INSERT INTO veil_ledger_head (id, size, root) VALUES (1, 0, %s) "
                "ON CONFLICT (id) DO NOTHING",
                (EMPTY_ROOT,),
            )

    def meta(self) -> dict[str, str]:
        with self._guard():
            return {k: v for k, v in self.conn.execute("SELECT key, value FROM veil_ledger_meta")}

    def set_meta(self, key: str, value: str) -> None:
        with self._guard():
            self.conn.execute(
                "INSERT INTO veil_ledger_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @contextmanager
    def write(self) -> Iterator[_Txn]:
        with self._guard(), self.conn.transaction():
            yield _Txn(self.conn)

    def head(self) -> tuple[int, bytes]:
        with self._guard():
            row = self.conn.execute(
                "SELECT size, root FROM veil_ledger_head WHERE id = 1"
            ).fetchone()
        if row is None:
            raise ConfigError("the ledger is not initialized in this database")
        return int(row[0]), bytes(row[1])

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        with self._guard():
            return _get_nodes(self.conn, keys)

    def get_leaf(self, index: int) -> StoredLeaf | None:
        with self._guard():
            row = self.conn.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE idx = %s",
                (index,),
            ).fetchone()
        return _leaf(row) if row else None

    def find_event(self, event_id: bytes) -> StoredLeaf | None:
        with self._guard():
            row = self.conn.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE event_id = %s",
                (event_id,),
            ).fetchone()
        return _leaf(row) if row else None

    def leaves_for_subject(self, subject: bytes) -> list[StoredLeaf]:
        with self._guard():
            rows = self.conn.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE subject_key = %s AND subject = %s ORDER BY idx",
                (subject_key(subject), subject),
            ).fetchall()
        return [_leaf(r) for r in rows]

    def iter_leaves(self, start: int = 0, batch: int = 5000) -> Iterator[StoredLeaf]:
        nxt = start
        while True:
            with self._guard():
                rows = self.conn.execute(
                    "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                    "WHERE idx >= %s ORDER BY idx LIMIT %s",
                    (nxt, batch),
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _leaf(r)
            nxt = int(rows[-1][0]) + 1

    def iter_nodes(self, level: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]:
        lo, hi = level << LEVEL_SHIFT, (level + 1) << LEVEL_SHIFT
        table, key = ("veil_ledger_leaves", "idx") if level == 0 else ("veil_ledger_nodes", "id")
        while True:
            with self._guard():
                rows = self.conn.execute(
                    f"SELECT {key}, hash FROM {table} WHERE {key} >= %s AND {key} < %s "
                    f"ORDER BY {key} LIMIT %s",
                    (lo, hi, batch),
                ).fetchall()
            if not rows:
                return
            for k, h in rows:
                yield int(k) - (level << LEVEL_SHIFT), bytes(h)
            lo = int(rows[-1][0]) + 1

    def count_nodes_above(self, level: int, index: int) -> int:
        with self._guard():
            row = self.conn.execute(
                "SELECT COUNT(*) FROM veil_ledger_nodes WHERE id >= %s AND id < %s",
                ((level << LEVEL_SHIFT) + index, (level + 1) << LEVEL_SHIFT),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        with self._guard():
            row = self.conn.execute(
                "INSERT INTO veil_ledger_checkpoints (size, root, note) VALUES (%s, %s, %s) "
                "RETURNING id",
                (size, root, note),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self._guard():
            rows = self.conn.execute(
                "SELECT id, size, root, note FROM veil_ledger_checkpoints ORDER BY id"
            ).fetchall()
            cos: dict[int, list[str]] = {}
            for cid, line in self.conn.execute(
                "SELECT checkpoint_id, line FROM veil_ledger_cosignatures "
                "ORDER BY checkpoint_id, line"
            ):
                cos.setdefault(int(cid), []).append(str(line))
        return [
            StoredCheckpoint(int(i), int(s), bytes(r), str(n), tuple(cos.get(int(i), [])))
            for i, s, r, n in rows
        ]

    def get_checkpoint(self, checkpoint_id: int | None = None) -> StoredCheckpoint | None:
        """One checkpoint by id, or the latest when ``checkpoint_id`` is None."""
        with self._guard():
            if checkpoint_id is None:
                row = self.conn.execute(
                    "SELECT id, size, root, note FROM veil_ledger_checkpoints "
                    "ORDER BY id DESC LIMIT 1"
                ).fetchone()
            else:
                row = self.conn.execute(
                    "SELECT id, size, root, note FROM veil_ledger_checkpoints WHERE id = %s",
                    (checkpoint_id,),
                ).fetchone()
            if row is None:
                return None
            lines = [
                str(r[0])
                for r in self.conn.execute(
                    "SELECT line FROM veil_ledger_cosignatures WHERE checkpoint_id = %s "
                    "ORDER BY line",
                    (row[0],),
                )
            ]
        return StoredCheckpoint(int(row[0]), int(row[1]), bytes(row[2]), str(row[3]), tuple(lines))

    def add_cosignatures(self, checkpoint_id: int, lines: Sequence[str]) -> None:
        with self._guard(), self.conn.transaction():
            for line in lines:
                self.conn.execute(
                    "INSERT INTO veil_ledger_cosignatures (checkpoint_id, line) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (checkpoint_id, line),
                )

    def storage_bytes(self) -> int | None:
        with self._guard():
            row = self.conn.execute(
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
        with self._guard():
            self.conn.close()
