"""The embedded default store: one SQLite file, WAL journal, fsync on every commit
(``synchronous=FULL``), so an append is durable when it returns; WAL checkpoints run beside the
appends (:mod:`veil.ledger.stores.wal`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from veil.errors import ConfigError
from veil.ledger.stores import LEVEL_ONE, LEVEL_SHIFT, DuplicateEventError, LeafRow, subject_key
from veil.ledger.stores.base import SqlStore, SqlTxn, blob
from veil.ledger.stores.errors import StoreCorruptError
from veil.ledger.stores.sql import SQLITE, Queries
from veil.ledger.stores.wal import WalCheckpointer
from veil.private import connect_private, exclusive_lock

__all__ = ["SqliteStore", "StoreCorruptError"]

_SQL = Queries(SQLITE)
WRITE_WAIT_S = 60.0  # as long as SQLite's busy timeout: then a write gives up with an error


class _SqliteTxn(SqlTxn):
    """An append on SQLite: leaves and nodes by ``executemany``."""

    def insert(
        self,
        start: int,
        leaves: Sequence[LeafRow],
        leaf_hashes: Sequence[bytes],
        nodes: Sequence[tuple[int, bytes]],
    ) -> None:
        try:
            self.conn.executemany(
                "INSERT INTO veil_ledger_leaves (idx, hash, data, event_id, subject, subject_key) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (i, h, r.data, r.event_id, r.subject, subject_key(r.subject))
                    for i, h, r in zip(
                        range(start, start + len(leaves)), leaf_hashes, leaves, strict=True
                    )
                ],
            )
        except sqlite3.IntegrityError:
            raise DuplicateEventError("an event with the same id is already in the log") from None
        self.conn.executemany("INSERT INTO veil_ledger_nodes (id, hash) VALUES (?, ?)", nodes)


class SqliteStore(SqlStore):
    """Ledger tables in one SQLite file (other tables may share the file)."""

    sql = _SQL

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.url = url or f"sqlite:///{self.path}"
        self._lock = threading.RLock()
        self._writers_lock = Path(str(self.path) + ".append-lock")
        try:
            self.conn = connect_private(self.path, timeout=60.0)  # WAL, 0600 when new
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=60000")
            # the right edge of the indexes stays in memory
            self.conn.execute("PRAGMA cache_size=-65536")
            self.wal = WalCheckpointer(self.path)  # checkpoints off the append path
            self.wal.configure(self.conn)
            self.conn.executescript(_SQL.schema)
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"cannot open SQLite database {self.path}: {exc}") from None

    def _upgrade(self) -> None:
        """Bring ledgers made by earlier development builds to the current tables: leaf hashes
        in the leaves table, and the 64-bit ``subject_key`` index."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(veil_ledger_leaves)")}
        if "subject_key" in cols and "hash" in cols:
            return
        with self._begin(self.conn):
            if "hash" not in cols:  # leaf hashes were level-0 rows of the nodes table
                self.conn.execute(
                    "ALTER TABLE veil_ledger_leaves ADD COLUMN hash BLOB NOT NULL DEFAULT x''"
                )
                self.conn.execute(
                    "UPDATE veil_ledger_leaves SET hash = coalesce((SELECT n.hash FROM "
                    "veil_ledger_nodes n WHERE n.id = veil_ledger_leaves.idx), x'')"
                )
                self.conn.execute("DELETE FROM veil_ledger_nodes WHERE id < ?", (2 << LEVEL_SHIFT,))
            if "subject_key" not in cols:
                self._add_subject_keys(self.conn)

    @staticmethod
    @contextmanager
    def _begin(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """A transaction that holds SQLite's write lock from its start."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self.conn
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise ConfigError(f"SQLite database {self.path} is busy: {exc}") from None
                raise StoreCorruptError(f"SQLite database {self.path} is damaged: {exc}") from None
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"SQLite database {self.path} is damaged: {exc}") from None

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """This process's turn to write: the thread lock, then a ``flock`` beside the database.

        Writers in other processes (``veil serve --workers N``) wait on the flock and get the
        database as soon as it is free; SQLite's own busy handler would have them sleep and
        retry, answering a waiting append up to tens of milliseconds after the lock was free."""
        with self._lock:
            try:
                with exclusive_lock(self._writers_lock, timeout=WRITE_WAIT_S):
                    yield
            except TimeoutError:
                raise ConfigError(
                    f"SQLite database {self.path} is busy: another process held its write lock "
                    f"for {WRITE_WAIT_S:g} s"
                ) from None
            except OSError as exc:  # the lock file cannot be made: nor could SQLite write
                raise ConfigError(
                    f"cannot write to SQLite database {self.path}: {exc.strerror or exc}"
                ) from None

    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        with self._writer(), self._conn() as c, self._begin(c):
            yield c

    @contextmanager
    def write(self) -> Iterator[_SqliteTxn]:
        """The append transaction (``BEGIN IMMEDIATE``: the write lock from the start)."""
        with self._writer():
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"SQLite database {self.path}: {exc}") from None
            try:
                yield _SqliteTxn(self, self.conn)
                self.conn.execute("COMMIT")
                self.wal.after_commit(self.conn)
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
                    exc, sqlite3.IntegrityError
                ):
                    raise StoreCorruptError(f"SQLite database {self.path}: {exc}") from None
                raise

    def _get_nodes(self, conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        leaves = [k for k in keys if k < LEVEL_ONE]
        nodes = [k for k in keys if k >= LEVEL_ONE]
        for table, key, wanted in (
            ("veil_ledger_leaves", "idx", leaves),
            ("veil_ledger_nodes", "id", nodes),
        ):
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for k, h in conn.execute(
                    f"SELECT {key}, hash FROM {table} WHERE {key} IN ({marks})", chunk
                ):
                    out[int(k)] = (
                        h if type(h) is bytes else blob(h, f"tree node {int(k) >> LEVEL_SHIFT}")
                    )
        return out

    def storage_bytes(self) -> int | None:
        """Bytes the ledger's tables and indexes take (SQLite's dbstat), if available."""
        try:
            with self._conn() as c:
                row = c.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'veil_ledger_%' "
                    "OR name LIKE 'sqlite_autoindex_veil_ledger_%'"
                ).fetchone()
            return int(row[0] or 0)
        except (sqlite3.OperationalError, StoreCorruptError):
            return None

    def check_integrity(self) -> list[str]:
        """Problems SQLite finds in the file: pages, and every index against its table."""
        try:
            with self._conn() as c:
                rows = c.execute("PRAGMA integrity_check").fetchall()
        except StoreCorruptError as exc:
            return [str(exc)]
        found = [str(r[0]) for r in rows]
        return [] if found == ["ok"] else [f"SQLite file damaged: {t}" for t in found]

    def close(self) -> None:
        """Stop the WAL checkpoints and close the database connection."""
        self.wal.close()
        with self._lock:
            self.conn.close()
