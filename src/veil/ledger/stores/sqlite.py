"""The embedded default store: one SQLite file, WAL journal, fsync on every commit
(``synchronous=FULL``), so an append is durable when it returns."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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
from veil.private import connect_private

SCHEMA = """
CREATE TABLE IF NOT EXISTS veil_ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_head (
  id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_leaves (
  idx INTEGER PRIMARY KEY, hash BLOB NOT NULL, data BLOB NOT NULL, event_id BLOB UNIQUE,
  subject BLOB, subject_key INTEGER);
CREATE INDEX IF NOT EXISTS veil_ledger_leaves_subject
  ON veil_ledger_leaves (subject_key) WHERE subject_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS veil_ledger_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, root BLOB NOT NULL,
  note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS veil_ledger_cosignatures (
  checkpoint_id INTEGER NOT NULL REFERENCES veil_ledger_checkpoints (id), line TEXT NOT NULL,
  PRIMARY KEY (checkpoint_id, line));
"""


class StoreCorruptError(VerificationError):
    """The database file cannot be read: it was damaged or edited."""


def _blob(value: object, where: str) -> bytes:
    """A stored BLOB; text (an edit through SQL) is taken as its UTF-8 bytes, so the audit
    compares its content; any other type is damage."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise StoreCorruptError(f"{where}: stored value has the wrong type ({type(value).__name__})")


def _opt_blob(value: object, where: str) -> bytes | None:
    return None if value is None else _blob(value, where)


def _leaf(row: tuple[int, object, object, object, object]) -> StoredLeaf:
    where = f"leaf {row[0]}"
    key = row[4]
    if key is not None and not isinstance(key, int):
        raise StoreCorruptError(f"{where}: stored subject key has the wrong type")
    return StoredLeaf(
        int(row[0]),
        _blob(row[1], where),
        _opt_blob(row[2], where),
        _opt_blob(row[3], where),
        key,
    )


class _Txn:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def head(self) -> tuple[int, bytes]:
        row = self.conn.execute("SELECT size, root FROM veil_ledger_head WHERE id = 1").fetchone()
        if row is None:
            raise ConfigError("the ledger is not initialized in this database")
        return int(row[0]), _blob(row[1], "tree head")

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        return _get_nodes(self.conn, keys)

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

    def set_head(self, size: int, root: bytes) -> None:
        self.conn.execute(
            "UPDATE veil_ledger_head SET size = ?, root = ? WHERE id = 1", (size, root)
        )


def _get_nodes(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, bytes]:
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
                out[int(k)] = _blob(h, f"tree node {int(k) >> LEVEL_SHIFT}")
    return out


class SqliteStore:
    """Ledger tables in one SQLite file (other tables may share the file)."""

    def __init__(self, path: Path, url: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.url = url or f"sqlite:///{self.path}"
        self._lock = threading.RLock()
        try:
            self.conn = connect_private(self.path, timeout=60.0)  # WAL, 0600 when new
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=60000")
            # the right edge of the indexes stays in memory; fewer WAL checkpoints per batch
            self.conn.execute("PRAGMA cache_size=-65536")
            self.conn.execute("PRAGMA wal_autocheckpoint=8192")
            self.conn.executescript(SCHEMA)
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            raise StoreCorruptError(f"cannot open SQLite database {self.path}: {exc}") from None

    def _upgrade(self) -> None:
        """Bring ledgers made by earlier development builds to the current tables: leaf hashes
        in the leaves table, and the 64-bit ``subject_key`` index."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(veil_ledger_leaves)")}
        if "subject_key" in cols and "hash" in cols:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if "hash" not in cols:  # leaf hashes were level-0 rows of the nodes table
                self.conn.execute(
                    "ALTER TABLE veil_ledger_leaves ADD COLUMN hash BLOB NOT NULL DEFAULT x''"
                )
                self.conn.execute(
                    "UPDATE veil_ledger_leaves SET hash = coalesce((SELECT n.hash FROM "
                    "veil_ledger_nodes n WHERE n.id = veil_ledger_leaves.idx), x'')"
                )
                self.conn.execute("DELETE FROM veil_ledger_nodes WHERE id < ?", (2 << LEVEL_SHIFT,))
            if "subject_key" in cols:
                self.conn.execute("COMMIT")
                return
            self.conn.execute("ALTER TABLE veil_ledger_leaves ADD COLUMN subject_key INTEGER")
            rows = self.conn.execute(
                "SELECT idx, subject FROM veil_ledger_leaves WHERE subject IS NOT NULL"
            ).fetchall()
            self.conn.executemany(
                "UPDATE veil_ledger_leaves SET subject_key = ? WHERE idx = ?",
                [(subject_key(_blob(sub, f"leaf {i}")), i) for i, sub in rows],
            )
            self.conn.execute("DROP INDEX IF EXISTS veil_ledger_leaves_subject")
            self.conn.execute(
                "CREATE INDEX veil_ledger_leaves_subject ON veil_ledger_leaves (subject_key) "
                "WHERE subject_key IS NOT NULL"
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self.conn
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise ConfigError(f"SQLite database {self.path} is busy: {exc}") from None
                raise StoreCorruptError(f"SQLite database {self.path} is damaged: {exc}") from None
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"SQLite database {self.path} is damaged: {exc}") from None

    def initialize(self, meta: dict[str, str]) -> None:
        from veil.ledger.merkle import EMPTY_ROOT

        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO veil_ledger_meta (key, value) VALUES (?, ?)",
                    list(meta.items()),
                )
                self.conn.execute(
                    "INSERT OR IGNORE INTO veil_ledger_head (id, size, root) VALUES (1, 0, ?)",
                    (EMPTY_ROOT,),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def meta(self) -> dict[str, str]:
        with self._read() as c:
            return {k: v for k, v in c.execute("SELECT key, value FROM veil_ledger_meta")}

    def set_meta(self, key: str, value: str) -> None:
        with self._read() as c:
            c.execute(
                "INSERT INTO veil_ledger_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @contextmanager
    def write(self) -> Iterator[_Txn]:
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StoreCorruptError(f"SQLite database {self.path}: {exc}") from None
            try:
                yield _Txn(self.conn)
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
                    exc, sqlite3.IntegrityError
                ):
                    raise StoreCorruptError(f"SQLite database {self.path}: {exc}") from None
                raise

    def head(self) -> tuple[int, bytes]:
        with self._read() as c:
            return _Txn(c).head()

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        with self._read() as c:
            return _get_nodes(c, keys)

    def get_leaf(self, index: int) -> StoredLeaf | None:
        with self._read() as c:
            row = c.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE idx = ?",
                (index,),
            ).fetchone()
        return _leaf(row) if row else None

    def find_event(self, event_id: bytes) -> StoredLeaf | None:
        with self._read() as c:
            row = c.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE event_id = ?",
                (event_id,),
            ).fetchone()
        return _leaf(row) if row else None

    def leaves_for_subject(self, subject: bytes) -> list[StoredLeaf]:
        with self._read() as c:
            rows = c.execute(
                "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                "WHERE subject_key = ? AND subject = ? ORDER BY idx",
                (subject_key(subject), subject),
            ).fetchall()
        return [_leaf(r) for r in rows]

    def iter_leaves(self, start: int = 0, batch: int = 5000) -> Iterator[StoredLeaf]:
        nxt = start
        while True:
            with self._read() as c:
                rows = c.execute(
                    "SELECT idx, data, event_id, subject, subject_key FROM veil_ledger_leaves "
                    "WHERE idx >= ? ORDER BY idx LIMIT ?",
                    (nxt, batch),
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _leaf(r)
            nxt = rows[-1][0] + 1

    def iter_nodes(self, level: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]:
        lo, hi = level << LEVEL_SHIFT, (level + 1) << LEVEL_SHIFT
        table, key = ("veil_ledger_leaves", "idx") if level == 0 else ("veil_ledger_nodes", "id")
        while True:
            with self._read() as c:
                rows = c.execute(
                    f"SELECT {key}, hash FROM {table} WHERE {key} >= ? AND {key} < ? "
                    f"ORDER BY {key} LIMIT ?",
                    (lo, hi, batch),
                ).fetchall()
            if not rows:
                return
            for k, h in rows:
                index = int(k) - (level << LEVEL_SHIFT)
                yield index, _blob(h, f"tree node {level}/{index}")
            lo = int(rows[-1][0]) + 1

    def count_nodes_above(self, level: int, index: int) -> int:
        """Nodes stored at ``level`` or higher with no place in the tree (levels up to 63)."""
        with self._read() as c:
            row = c.execute(
                "SELECT COUNT(*) FROM veil_ledger_nodes WHERE id >= ? AND id < ?",
                ((level << LEVEL_SHIFT) + index, (level + 1) << LEVEL_SHIFT),
            ).fetchone()
        return int(row[0])

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        with self._read() as c:
            cur = c.execute(
                "INSERT INTO veil_ledger_checkpoints (size, root, note) VALUES (?, ?, ?)",
                (size, root, note),
            )
            return int(cur.lastrowid or 0)

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self._read() as c:
            rows = c.execute(
                "SELECT id, size, root, note FROM veil_ledger_checkpoints ORDER BY id"
            ).fetchall()
            cos: dict[int, list[str]] = {}
            for cid, line in c.execute(
                "SELECT checkpoint_id, line FROM veil_ledger_cosignatures ORDER BY checkpoint_id, line"
            ):
                cos.setdefault(int(cid), []).append(str(line))
        return [
            StoredCheckpoint(
                int(i),
                int(s),
                _blob(r, f"checkpoint {i}"),
                str(n),
                tuple(cos.get(int(i), [])),
            )
            for i, s, r, n in rows
        ]

    def get_checkpoint(self, checkpoint_id: int | None = None) -> StoredCheckpoint | None:
        """One checkpoint by id, or the latest when ``checkpoint_id`` is None."""
        with self._read() as c:
            if checkpoint_id is None:
                row = c.execute(
                    "SELECT id, size, root, note FROM veil_ledger_checkpoints "
                    "ORDER BY id DESC LIMIT 1"
                ).fetchone()
            else:
                row = c.execute(
                    "SELECT id, size, root, note FROM veil_ledger_checkpoints WHERE id = ?",
                    (checkpoint_id,),
                ).fetchone()
            if row is None:
                return None
            lines = [
                str(r[0])
                for r in c.execute(
                    "SELECT line FROM veil_ledger_cosignatures WHERE checkpoint_id = ? "
                    "ORDER BY line",
                    (row[0],),
                )
            ]
        return StoredCheckpoint(
            int(row[0]),
            int(row[1]),
            _blob(row[2], f"checkpoint {row[0]}"),
            str(row[3]),
            tuple(lines),
        )

    def add_cosignatures(self, checkpoint_id: int, lines: Sequence[str]) -> None:
        with self._read() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.executemany(
                    "INSERT OR IGNORE INTO veil_ledger_cosignatures (checkpoint_id, line) "
                    "VALUES (?, ?)",
                    [(checkpoint_id, line) for line in lines],
                )
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def storage_bytes(self) -> int | None:
        """Bytes the ledger's tables and indexes take (SQLite's dbstat), if available."""
        try:
            with self._read() as c:
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
            with self._read() as c:
                rows = c.execute("PRAGMA integrity_check").fetchall()
        except StoreCorruptError as exc:
            return [str(exc)]
        found = [str(r[0]) for r in rows]
        return [] if found == ["ok"] else [f"SQLite file damaged: {t}" for t in found]

    def close(self) -> None:
        with self._lock:
            self.conn.close()
