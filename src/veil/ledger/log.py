"""The transparency log over a :class:`~veil.ledger.stores.Store`: durable batched appends,
proofs from stored complete subtrees and signed checkpoints (the audit of a stored log is
:func:`veil.ledger.audit.audit_log`).

Appends are O(log n) reads and O(batch) writes: the log reads the O(log n) complete subtrees on
the right edge of the tree (its compact range), hashes the new leaves in, and writes each new
leaf and each newly completed subtree once. Proofs read O(log n) nodes in one query and never
recompute a subtree. Concurrent callers of :meth:`TransparencyLog.append` in one process are
combined into one transaction (group commit), so many threads share one fsync.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from veil.errors import VerificationError
from veil.ledger import merkle
from veil.ledger.audit import AuditReport, LeafCheck
from veil.ledger.merkle import NodeId, node_hash
from veil.ledger.note import Checkpoint, Signer, sign_checkpoint
from veil.ledger.stores import (
    LEVEL_SHIFT,
    MIN_STORED_LEVEL,
    LeafRow,
    Store,
    StoredCheckpoint,
    StoredLeaf,
    node_key,
)

__all__ = ["MIN_STORED_LEVEL", "AuditReport", "LeafCheck", "TransparencyLog", "TreeHead"]


def _fetch_nodes(
    get: Callable[[Sequence[int]], dict[int, bytes]], ids: Sequence[NodeId]
) -> dict[NodeId, bytes]:
    keys: set[int] = set()
    for n in ids:
        if n.level == 1:
            keys.update((2 * n.index, 2 * n.index + 1))
        else:
            keys.add(node_key(*n))
    got = get(sorted(keys))
    out: dict[NodeId, bytes] = {}
    for n in ids:
        if n.level == 1:
            left, right = got.get(2 * n.index), got.get(2 * n.index + 1)
            if left is not None and right is not None:
                out[n] = node_hash(left, right)
        else:
            h = got.get(node_key(*n))
            if h is not None:
                out[n] = h
    return out


@dataclass(frozen=True)
class TreeHead:
    """The log's current tree size and root hash."""

    size: int
    root: bytes


@dataclass
class _Pending:
    leaves: Sequence[LeafRow]
    start: int = -1
    error: BaseException | None = None
    done: bool = False


class TransparencyLog:
    """An RFC 9162 Merkle log kept in a store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._leader = False

    # -- appends -----------------------------------------------------------------------------

    def append(self, leaves: Sequence[LeafRow]) -> int:
        """Append leaves durably, in order; return the index of the first one.

        Returns only after the transaction holding them has committed. Callers in other threads
        that arrive while a commit is running are batched into the next transaction.
        """
        if not leaves:
            return self.head().size
        req = _Pending(leaves)
        with self._cond:
            self._queue.append(req)
            while self._leader and not req.done:
                self._cond.wait()
            if req.done:
                return self._result(req)
            self._leader = True
            batch, self._queue = self._queue, []
        try:
            self._commit_group(batch)
        finally:
            with self._cond:
                self._leader = False
                for r in batch:
                    r.done = True
                self._cond.notify_all()
        return self._result(req)

    @staticmethod
    def _result(req: _Pending) -> int:
        if req.error is not None:
            raise req.error
        return req.start

    def _commit_group(self, batch: list[_Pending]) -> None:
        try:
            starts = self._commit([r.leaves for r in batch])
            for r, s in zip(batch, starts, strict=True):
                r.start = s
        except BaseException as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for r in batch:  # one bad request must not fail its neighbours
                try:
                    r.start = self._commit([r.leaves])[0]
                except BaseException as exc2:
                    r.error = exc2

    def _commit(self, groups: Sequence[Sequence[LeafRow]]) -> list[int]:
        rows = [row for g in groups for row in g]
        sha = hashlib.sha256
        leaf_hashes = [sha(b"\x00" + row.data).digest() for row in rows]
        with self.store.write() as txn:
            size, _ = txn.head()
            edge = merkle.frontier(size)
            got = _fetch_nodes(txn.get_nodes, edge)
            stack: list[tuple[int, bytes]] = []
            for n in edge:
                h = got.get(n)
                if h is None:
                    raise VerificationError(f"the store lacks tree node {tuple(n)}: run verify")
                stack.append((n.level, h))
            new_nodes: list[tuple[int, bytes]] = []
            add = new_nodes.append
            pop = stack.pop
            push = stack.append
            i = size
            for h in leaf_hashes:
                level, index = 0, i
                while stack and stack[-1][0] == level:
                    h = sha(b"\x01" + pop()[1] + h).digest()
                    level += 1
                    index >>= 1
                    if level >= MIN_STORED_LEVEL:
                        add(((level << LEVEL_SHIFT) | index, h))
                push((level, h))
                i += 1
            root = merkle.fold_range([h for _, h in stack])
            txn.insert(size, rows, leaf_hashes, new_nodes)
            txn.set_head(size + len(rows), root)
        starts, at = [], size
        for g in groups:
            starts.append(at)
            at += len(g)
        return starts

    # -- reads and proofs --------------------------------------------------------------------

    def head(self) -> TreeHead:
        """The current tree head, as stored."""
        size, root = self.store.head()
        return TreeHead(size, root)

    def fetch(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of complete subtrees, in one store query (level 1 is folded from leaves)."""
        return _fetch_nodes(self.store.get_nodes, ids)

    def _size(self, size: int | None) -> int:
        current = self.head().size
        if size is None:
            return current
        if not 0 <= size <= current:
            raise VerificationError(f"tree size {size} is beyond the log's size {current}")
        return size

    def root_at(self, size: int | None = None) -> bytes:
        """The root of the tree at ``size`` leaves (default: the current size)."""
        return merkle.root_at(self._size(size), self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf ``index`` at tree ``size`` (default: current)."""
        return merkle.inclusion_proof(index, self._size(size), self.fetch)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 proof that ``new_size`` (default: current) extends ``old_size``."""
        return merkle.consistency_proof(old_size, self._size(new_size), self.fetch)

    def leaf(self, index: int) -> StoredLeaf:
        """The leaf at ``index``; :class:`VerificationError` when the log has none there."""
        got = self.store.get_leaf(index)
        if got is None:
            raise VerificationError(f"no leaf {index} in the log")
        return got

    def iter_leaves(self, start: int = 0) -> Iterator[StoredLeaf]:
        """Every stored leaf from ``start`` on, in index order."""
        return self.store.iter_leaves(start)

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, signer: Signer, origin: str) -> tuple[int, str]:
        """Sign the current tree head as a C2SP checkpoint and keep it; return (id, note)."""
        head = self.head()
        note = sign_checkpoint(Checkpoint(origin, head.size, head.root), signer)
        return self.store.add_checkpoint(head.size, head.root, note), note

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint with its cosignatures, oldest first."""
        return self.store.checkpoints()
