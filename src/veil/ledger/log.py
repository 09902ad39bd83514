"""The transparency log over a :class:`~veil.ledger.stores.Store`: durable batched appends,
proofs from stored complete subtrees, signed checkpoints, and a full audit of the store.

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
from dataclasses import dataclass, field

from veil.errors import VerificationError
from veil.ledger import merkle
from veil.ledger.merkle import NodeId, leaf_hash, node_hash
from veil.ledger.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    cosigner_verifier,
    parse_note,
    sign_checkpoint,
    verify_checkpoint,
)
from veil.ledger.stores import (
    LEVEL_SHIFT,
    LeafRow,
    Store,
    StoredCheckpoint,
    StoredLeaf,
    node_key,
)

LeafCheck = Callable[[StoredLeaf], list[str]]

# Level 0 (leaf hashes) lives in the leaves table; level 1 is never stored (two leaf hashes away,
# it would double the rows an append writes); levels 2 and up are rows of the nodes table.
MIN_STORED_LEVEL = 2


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
    size: int
    root: bytes


@dataclass
class _Pending:
    leaves: Sequence[LeafRow]
    start: int = -1
    error: BaseException | None = None
    done: bool = False


@dataclass
class AuditReport:
    """What :meth:`TransparencyLog.audit` found: counts checked and every problem, by name."""

    size: int = 0
    leaves_checked: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    MAX_LISTED = 100

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.MAX_LISTED:
            self.problems.append(text)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


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
        return merkle.root_at(self._size(size), self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return merkle.inclusion_proof(index, self._size(size), self.fetch)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return merkle.consistency_proof(old_size, self._size(new_size), self.fetch)

    def leaf(self, index: int) -> StoredLeaf:
        got = self.store.get_leaf(index)
        if got is None:
            raise VerificationError(f"no leaf {index} in the log")
        return got

    def iter_leaves(self, start: int = 0) -> Iterator[StoredLeaf]:
        return self.store.iter_leaves(start)

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, signer: Signer, origin: str) -> tuple[int, str]:
        """Sign the current tree head as a C2SP checkpoint and keep it; return (id, note)."""
        head = self.head()
        note = sign_checkpoint(Checkpoint(origin, head.size, head.root), signer)
        return self.store.add_checkpoint(head.size, head.root, note), note

    def checkpoints(self) -> list[StoredCheckpoint]:
        return self.store.checkpoints()

    # -- audit -------------------------------------------------------------------------------

    def audit(
        self,
        log_key: Verifier,
        witness_keys: Sequence[Verifier] = (),
        leaf_check: LeafCheck | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> AuditReport:
        """Recheck the whole store: every leaf hash, every node, the head and every checkpoint.

        ``progress(leaves_done, size)`` is called every few thousand leaves of the first pass.
        """
        rep = AuditReport()
        size, head_root = self.store.head()
        rep.size = size
        # level 0: leaf bytes against stored leaf hashes
        expected = 0
        for leaf in self.store.iter_leaves():
            if leaf.index != expected:
                if leaf.index >= size:
                    rep.problem(f"leaf {leaf.index}: stored beyond the tree size {size}")
                    expected = leaf.index + 1
                    continue
                rep.problem(f"leaves {expected} to {leaf.index - 1}: missing")
            expected = leaf.index + 1
            rep.leaves_checked += 1
            if progress is not None and rep.leaves_checked % 5000 == 0:
                progress(rep.leaves_checked, size)
            if leaf_check is not None:
                for text in leaf_check(leaf):
                    rep.problem(f"leaf {leaf.index}: {text}")
            if leaf.index >= size:
                rep.problem(f"leaf {leaf.index}: stored beyond the tree size {size}")
        if expected < size:
            rep.problem(f"leaves {expected} to {size - 1}: missing")
        self._audit_leaf_hashes(rep, size)
        # levels >= 1: every stored node against its stored children
        level = MIN_STORED_LEVEL
        while (size >> level) > 0:
            self._audit_level(rep, level, size >> level)
            level += 1
        stray = sum(
            self.store.count_nodes_above(lv, 0 if lv < MIN_STORED_LEVEL else size >> lv)
            for lv in range(0, 64)
        )
        if stray:
            rep.problem(f"{stray} tree nodes are stored beyond the tree size {size}")
        # the head and every checkpoint against the (now checked) stored nodes
        try:
            root = merkle.root_at(size, self.fetch)
            if root != head_root:
                rep.problem(f"tree head: stored root does not match the stored tree of size {size}")
        except VerificationError as exc:
            rep.problem(f"tree head: {exc}")
        cosigners = [cosigner_verifier(w) for w in witness_keys]
        for cp in self.store.checkpoints():
            rep.checkpoints_checked += 1
            self._audit_checkpoint(rep, cp, size, log_key, cosigners)
        return rep

    def _audit_leaf_hashes(self, rep: AuditReport, size: int) -> None:
        nodes = self.store.iter_nodes(0)
        cur = next(nodes, None)
        for leaf in self.store.iter_leaves():
            if leaf.index >= size:
                break
            while cur is not None and cur[0] < leaf.index:
                cur = next(nodes, None)
            rep.nodes_checked += 1
            if cur is None or cur[0] != leaf.index:
                rep.problem(
                    f"leaf {leaf.index}: its leaf hash (tree node 0/{leaf.index}) is missing"
                )
            elif leaf_hash(leaf.data) != cur[1]:
                rep.problem(
                    f"leaf {leaf.index}: its bytes do not hash to the stored leaf hash "
                    "(the leaf or its hash was changed)"
                )

    def _iter_level(self, level: int) -> Iterator[tuple[int, bytes]]:
        """Stored hashes of one level in index order (level 1 folded from the leaf hashes)."""
        if level != 1:
            yield from self.store.iter_nodes(level)
            return
        prev: tuple[int, bytes] | None = None
        for index, h in self.store.iter_nodes(0):
            if index % 2 == 0:
                prev = (index, h)
            elif prev is not None and prev[0] == index - 1:
                yield index >> 1, node_hash(prev[1], h)
                prev = None

    def _audit_level(self, rep: AuditReport, level: int, count: int) -> None:
        children = self._iter_level(level - 1)
        cur = next(children, None)

        def child(i: int) -> bytes | None:
            nonlocal cur
            while cur is not None and cur[0] < i:
                cur = next(children, None)
            return cur[1] if cur is not None and cur[0] == i else None

        seen = 0
        for index, h in self.store.iter_nodes(level):
            if index >= count:
                break
            if seen < index:
                rep.problem(f"tree nodes {level}/{seen} to {level}/{index - 1}: missing")
            seen = index + 1
            rep.nodes_checked += 1
            left, right = child(2 * index), child(2 * index + 1)
            if left is None or right is None:
                rep.problem(f"tree node {level}/{index}: a child node is missing")
            elif node_hash(left, right) != h:
                rep.problem(
                    f"tree node {level}/{index} (leaves {index << level} to "
                    f"{((index + 1) << level) - 1}): hash does not match its children"
                )
        if seen < count:
            rep.problem(f"tree nodes {level}/{seen} to {level}/{count - 1}: missing")

    def _audit_checkpoint(
        self,
        rep: AuditReport,
        cp: StoredCheckpoint,
        size: int,
        log_key: Verifier,
        cosigners: Sequence[Verifier],
    ) -> None:
        where = f"checkpoint {cp.id} (size {cp.size})"
        try:
            signed = verify_checkpoint(cp.note, log_key)
        except NoteError as exc:
            rep.problem(f"{where}: {exc}")
            return
        body = signed.checkpoint
        if body.size != cp.size or body.root != cp.root:
            rep.problem(f"{where}: the signed note does not match the stored size and root")
        if body.size > size:
            rep.problem(f"{where}: signed a tree larger than the log ({body.size} > {size})")
            return
        try:
            if merkle.root_at(body.size, self.fetch) != body.root:
                rep.problem(
                    f"{where}: signed root is not the root of the stored tree at size {body.size}"
                    " (the log was rewritten, or the checkpoint was edited)"
                )
        except VerificationError as exc:
            rep.problem(f"{where}: {exc}")
        if cp.cosignatures:
            text = body.text()
            known = {(c.name, c.key_id): c for c in cosigners}
            try:
                extra = parse_note(text + "\n" + "".join(cp.cosignatures))
            except NoteError as exc:
                rep.problem(f"{where}: stored cosignatures: {exc}")
                return
            for sig in extra.signatures:
                v = known.get((sig.name, sig.key_id))
                if v is None:
                    continue
                try:
                    v.verify(text.encode(), sig.raw)
                except NoteError as exc:
                    rep.problem(f"{where}: cosignature of {sig.name}: {exc}")
