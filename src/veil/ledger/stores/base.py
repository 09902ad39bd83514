"""The part of a ledger store that SQLite and PostgreSQL share: every read, the checkpoint and
metadata writes, and the append transaction's head and tree-head statements.

A concrete store supplies its connection (:meth:`SqlStore._conn`, which turns the driver's
errors into one-line Veil errors), a short write transaction (:meth:`SqlStore._txn`), and the
two statements the dialects do differently for speed: reading many node hashes at once
(:meth:`SqlStore._get_nodes`) and bulk-inserting an append's rows (its :class:`SqlTxn`'s
``insert``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from veil.errors import ConfigError
from veil.ledger.stores import LEVEL_SHIFT, StoredCheckpoint, StoredLeaf, subject_key
from veil.ledger.stores.errors import StoreCorruptError
from veil.ledger.stores.sql import SUBJECT_INDEX, Queries


def blob(value: object, where: str) -> bytes:
    """A stored binary value; text (an edit through SQL) is taken as its UTF-8 bytes, so the
    audit compares its content; any other type is damage."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise StoreCorruptError(f"{where}: stored value has the wrong type ({type(value).__name__})")


def _opt_blob(value: object, where: str) -> bytes | None:
    return None if value is None else blob(value, where)


def leaf_of(row: Any) -> StoredLeaf:
    """A leaf from its row (idx, data, event_id, subject, subject_key)."""
    where = f"leaf {row[0]}"
    key = row[4]
    if key is not None and not isinstance(key, int):
        raise StoreCorruptError(f"{where}: stored subject key has the wrong type")
    return StoredLeaf(
        int(row[0]), blob(row[1], where), _opt_blob(row[2], where), _opt_blob(row[3], where), key
    )


def _head(row: Any) -> tuple[int, bytes]:
    if row is None:
        raise ConfigError("the ledger is not initialized in this database")
    return int(row[0]), blob(row[1], "tree head")


def _checkpoint(row: Any, lines: Sequence[str]) -> StoredCheckpoint:
    return StoredCheckpoint(
        int(row[0]), int(row[1]), blob(row[2], f"checkpoint {row[0]}"), str(row[3]), tuple(lines)
    )


class SqlTxn:
    """One append transaction; the store's write lock is held while it lives. A dialect's
    subclass adds ``insert``, its fastest bulk insert of an append's rows."""

    def __init__(self, store: SqlStore, conn: Any) -> None:
        self.store = store
        self.conn = conn

    def head(self) -> tuple[int, bytes]:
        """The tree head, read under the append lock."""
        return _head(self.conn.execute(self.store.sql.head_locked).fetchone())

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """Hashes by node key, inside this transaction."""
        return self.store._get_nodes(self.conn, keys)

    def set_head(self, size: int, root: bytes) -> None:
        """Move the tree head."""
        self.conn.execute(self.store.sql.set_head, (size, root))


class SqlStore:
    """Ledger tables in a SQL database; subclasses bind it to one driver."""

    url: str
    sql: Queries

    # -- what a dialect supplies -----------------------------------------------------------------

    def _conn(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _txn(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _get_nodes(self, conn: Any, keys: Sequence[int]) -> dict[int, bytes]:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------

    def _add_subject_keys(self, conn: Any) -> None:
        """Give a ledger made before the 64-bit subject index its ``subject_key`` column."""
        conn.execute(self.sql.add_subject_key)
        rows = conn.execute(self.sql.leaf_subjects).fetchall()
        conn.cursor().executemany(
            self.sql.set_subject_key,
            [(subject_key(blob(sub, f"leaf {i}")), int(i)) for i, sub in rows],
        )
        conn.execute("DROP INDEX IF EXISTS veil_ledger_leaves_subject")
        conn.execute(SUBJECT_INDEX)

    def initialize(self, meta: dict[str, str]) -> None:
        """Write the ledger's metadata and an empty tree head, keeping any already there."""
        from veil.ledger.merkle import EMPTY_ROOT

        with self._txn() as c:
            c.cursor().executemany(self.sql.init_meta, list(meta.items()))
            c.execute(self.sql.init_head, (EMPTY_ROOT,))

    def meta(self) -> dict[str, str]:
        """The ledger's metadata records."""
        with self._conn() as c:
            return {k: v for k, v in c.execute(self.sql.meta)}

    def set_meta(self, key: str, value: str) -> None:
        """Write one metadata record."""
        with self._conn() as c:
            c.execute(self.sql.set_meta, (key, value))

    def head(self) -> tuple[int, bytes]:
        """The tree size and root."""
        with self._conn() as c:
            return _head(c.execute(self.sql.head).fetchone())

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """Hashes by node key; level-0 keys read the leaf hashes of the leaves table."""
        with self._conn() as c:
            return self._get_nodes(c, keys)

    def _one_leaf(self, sql: str, key: object) -> StoredLeaf | None:
        with self._conn() as c:
            row = c.execute(sql, (key,)).fetchone()
        return leaf_of(row) if row else None

    def get_leaf(self, index: int) -> StoredLeaf | None:
        """The leaf at ``index``."""
        return self._one_leaf(self.sql.leaf_at, index)

    def find_event(self, event_id: bytes) -> StoredLeaf | None:
        """The leaf holding the event with this id."""
        return self._one_leaf(self.sql.leaf_of_event, event_id)

    def leaves_for_subject(self, subject: bytes) -> list[StoredLeaf]:
        """Every leaf about the subject, in log order."""
        with self._conn() as c:
            rows = c.execute(self.sql.leaves_of_subject, (subject_key(subject), subject)).fetchall()
        return [leaf_of(r) for r in rows]

    def iter_leaves(self, start: int = 0, batch: int = 5000) -> Iterator[StoredLeaf]:
        """Every leaf from ``start`` in index order, read ``batch`` at a time."""
        nxt = start
        while True:
            with self._conn() as c:
                rows = c.execute(self.sql.leaves_from, (nxt, batch)).fetchall()
            if not rows:
                return
            for r in rows:
                yield leaf_of(r)
            nxt = int(rows[-1][0]) + 1

    def iter_nodes(self, level: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]:
        """(index, hash) of every stored node of one level, in index order."""
        lo, hi = level << LEVEL_SHIFT, (level + 1) << LEVEL_SHIFT
        sql = self.sql.level_rows["veil_ledger_leaves" if level == 0 else "veil_ledger_nodes"]
        while True:
            with self._conn() as c:
                rows = c.execute(sql, (lo, hi, batch)).fetchall()
            if not rows:
                return
            for k, h in rows:
                index = int(k) - (level << LEVEL_SHIFT)
                yield index, h if type(h) is bytes else blob(h, f"tree node {level}/{index}")
            lo = int(rows[-1][0]) + 1

    def count_nodes_above(self, level: int, index: int) -> int:
        """Nodes stored at ``level`` or higher with no place in the tree (levels up to 63)."""
        with self._conn() as c:
            row = c.execute(
                self.sql.count_nodes, ((level << LEVEL_SHIFT) + index, (level + 1) << LEVEL_SHIFT)
            ).fetchone()
        return int(row[0])

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Keep a signed checkpoint; return its id."""
        with self._conn() as c:
            cur = c.execute(self.sql.add_checkpoint, (size, root, note))
            if self.sql.returning_id:
                return int(cur.fetchone()[0])
            return int(cur.lastrowid or 0)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint with its cosignatures, oldest first."""
        with self._conn() as c:
            rows = c.execute(self.sql.checkpoints).fetchall()
            cos: dict[int, list[str]] = {}
            for cid, line in c.execute(self.sql.all_cosignatures):
                cos.setdefault(int(cid), []).append(str(line))
        return [_checkpoint(r, cos.get(int(r[0]), [])) for r in rows]

    def get_checkpoint(self, checkpoint_id: int | None = None) -> StoredCheckpoint | None:
        """One checkpoint by id, or the latest when ``checkpoint_id`` is None."""
        with self._conn() as c:
            if checkpoint_id is None:
                row = c.execute(self.sql.latest_checkpoint).fetchone()
            else:
                row = c.execute(self.sql.checkpoint_by_id, (checkpoint_id,)).fetchone()
            if row is None:
                return None
            lines = [str(r[0]) for r in c.execute(self.sql.cosignatures_of, (row[0],))]
        return _checkpoint(row, lines)

    def add_cosignatures(self, checkpoint_id: int, lines: Sequence[str]) -> None:
        """Keep cosignature lines of a checkpoint (lines already kept are skipped)."""
        with self._txn() as c:
            c.cursor().executemany(
                self.sql.add_cosignature, [(checkpoint_id, line) for line in lines]
            )
