"""Storage for the ledger: the :class:`Store` protocol and :func:`open_store` by URL.

Stores keep leaves (with their RFC 9162 leaf hash, the level-0 node), the hashes of larger
complete subtrees (``nodes``; the log decides which levels it stores), the tree head, every
signed checkpoint and its cosignatures, in tables prefixed ``veil_ledger_`` so that other parts of Veil
can keep their own tables in the same database. Writes happen in a :class:`WriteTxn`, which
holds the log's write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` on
the head row) so concurrent appenders, in threads or processes, never fork the tree. Both stores
run the same tables and statements (:mod:`.sql`, :mod:`.base`) and raise one
:class:`StoreCorruptError` when their tables cannot be read as written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from veil.core.dburl import parse_db_url
from veil.errors import BadInputError
from veil.ledger.stores.errors import StoreCorruptError as StoreCorruptError

TABLE_PREFIX = "veil_ledger_"
LEVEL_SHIFT = 56
LEVEL_ONE = 1 << LEVEL_SHIFT  # node keys below this are leaf hashes (level 0)
# Level 0 (leaf hashes) lives in the leaves table; level 1 is never stored (two leaf hashes away,
# it would double the rows an append writes); levels 2 and up are rows of the nodes table.
MIN_STORED_LEVEL = 2


class DuplicateEventError(BadInputError):
    """An event whose id is already in the log (every event is logged once)."""


def node_key(level: int, index: int) -> int:
    """One integer key per complete subtree: level in the top byte, index below."""
    return (level << LEVEL_SHIFT) | index


@dataclass(frozen=True)
class LeafRow:
    """A leaf to store: its bytes, and the lookup keys the ledger indexes it by."""

    data: bytes
    event_id: bytes | None = None
    subject: bytes | None = None


@dataclass(frozen=True)
class StoredLeaf:
    """A leaf as stored: its index in the log, its bytes and lookup keys."""

    index: int
    data: bytes
    event_id: bytes | None
    subject: bytes | None
    subject_key: int | None = None  # the indexed 64-bit prefix of ``subject``


def subject_key(subject: bytes | None) -> int | None:
    """The subject index key: the pseudonym's first 8 bytes as a signed 64-bit integer.

    An integer index is a third of the size of one on 32-byte pseudonyms, so an append batch
    dirties far fewer index pages; lookups filter on the full pseudonym after the index.
    """
    return None if subject is None else int.from_bytes(subject[:8], "big", signed=True)


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: its id, tree size and root, note and cosignature lines."""

    id: int
    size: int
    root: bytes
    note: str
    cosignatures: tuple[str, ...]


class WriteTxn(Protocol):
    """The operations of one append transaction (the write lock is held)."""

    def head(self) -> tuple[int, bytes]:
        """The tree size and root, read under the write lock."""
        ...

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """Hashes by :func:`node_key`; level-0 keys read the leaf hashes of the leaves table."""
        ...

    def insert(
        self,
        start: int,
        leaves: Sequence[LeafRow],
        leaf_hashes: Sequence[bytes],
        nodes: Sequence[tuple[int, bytes]],
    ) -> None:
        """Store ``leaves`` at indexes from ``start`` with their leaf hashes, and new nodes."""
        ...

    def set_head(self, size: int, root: bytes) -> None:
        """Move the tree head to ``size`` leaves with ``root``."""
        ...


class Store(Protocol):
    """What the transparency log needs from a database."""

    url: str

    def initialize(self, meta: dict[str, str]) -> None:
        """Write the ledger's metadata and an empty tree head, keeping any already there."""
        ...

    def meta(self) -> dict[str, str]:
        """The ledger's metadata records (origin, key ids and the like)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Write one metadata record."""
        ...

    def write(self) -> AbstractContextManager[WriteTxn]:
        """An append transaction holding the write lock; it commits when the block ends."""
        ...

    def head(self) -> tuple[int, bytes]:
        """The tree size and root."""
        ...

    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """Hashes by :func:`node_key` (keys not stored are absent)."""
        ...

    def get_leaf(self, index: int) -> StoredLeaf | None:
        """The leaf at ``index``, or None."""
        ...

    def find_event(self, event_id: bytes) -> StoredLeaf | None:
        """The leaf holding the event with this id, or None."""
        ...

    def leaves_for_subject(self, subject: bytes) -> list[StoredLeaf]:
        """Every leaf about the subject pseudonym, in log order."""
        ...

    def iter_leaves(self, start: int = 0, batch: int = 5000) -> Iterator[StoredLeaf]:
        """Every leaf from ``start`` in index order, read ``batch`` at a time."""
        ...

    def iter_nodes(self, level: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]:
        """(index, hash) of every stored node of one level, in index order."""
        ...

    def count_nodes_above(self, level: int, index: int) -> int:
        """How many nodes are stored at ``level`` from ``index`` on (beyond the tree there)."""
        ...

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Keep a signed checkpoint note; returns its id."""
        ...

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint with its cosignatures, oldest first."""
        ...

    def get_checkpoint(self, checkpoint_id: int | None = None) -> StoredCheckpoint | None:
        """One checkpoint by id, or the latest when ``checkpoint_id`` is None; None if absent."""
        ...

    def add_cosignatures(self, checkpoint_id: int, lines: Sequence[str]) -> None:
        """Keep cosignature lines of a checkpoint (lines already kept are skipped)."""
        ...

    def storage_bytes(self) -> int | None:
        """Bytes the ledger's tables and indexes take, or None when the database cannot say."""
        ...

    def check_integrity(self) -> list[str]:
        """Problems the database itself finds in its storage (empty when none)."""
        ...

    def close(self) -> None:
        """Close the database connection."""
        ...


def open_store(url: str) -> Store:
    """Open (creating tables if needed) the store a database URL names."""
    path = parse_db_url(url).path
    if path is None:
        from veil.ledger.stores.postgres import PostgresStore

        return PostgresStore(url)
    from veil.ledger.stores.sqlite import SqliteStore

    return SqliteStore(path, url)
