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
    id: int
    size: int
    root: bytes
    note: str
    cosignatures: tuple[str, ...]


class WriteTxn(Protocol):
    """The operations of one append transaction (the write lock is held)."""

    def head(self) -> tuple[int, bytes]: ...
    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """Hashes by :func:`node_key`; level-0 keys read the leaf hashes of the leaves table."""
        ...

    def insert(
        self,
        start: int,
        leaves: Sequence[LeafRow],
        leaf_hashes: Sequence[bytes],
        nodes: Sequence[tuple[int, bytes]],
    ) -> None: ...
    def set_head(self, size: int, root: bytes) -> None: ...


class Store(Protocol):
    """What the transparency log needs from a database."""

    url: str

    def initialize(self, meta: dict[str, str]) -> None: ...
    def meta(self) -> dict[str, str]: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def write(self) -> AbstractContextManager[WriteTxn]: ...
    def head(self) -> tuple[int, bytes]: ...
    def get_nodes(self, keys: Sequence[int]) -> dict[int, bytes]: ...
    def get_leaf(self, index: int) -> StoredLeaf | None: ...
    def find_event(self, event_id: bytes) -> StoredLeaf | None: ...
    def leaves_for_subject(self, subject: bytes) -> list[StoredLeaf]: ...
    def iter_leaves(self, start: int = 0, batch: int = 5000) -> Iterator[StoredLeaf]: ...
    def iter_nodes(self, level: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]: ...
    def count_nodes_above(self, level: int, index: int) -> int: ...
    def add_checkpoint(self, size: int, root: bytes, note: str) -> int: ...
    def checkpoints(self) -> list[StoredCheckpoint]: ...
    def get_checkpoint(self, checkpoint_id: int | None = None) -> StoredCheckpoint | None: ...
    def add_cosignatures(self, checkpoint_id: int, lines: Sequence[str]) -> None: ...
    def storage_bytes(self) -> int | None: ...
    def check_integrity(self) -> list[str]: ...
    def close(self) -> None: ...


def open_store(url: str) -> Store:
    """Open (creating tables if needed) the store a database URL names."""
    path = parse_db_url(url).path
    if path is None:
        from veil.ledger.stores.postgres import PostgresStore

        return PostgresStore(url)
    from veil.ledger.stores.sqlite import SqliteStore

    return SqliteStore(path, url)
