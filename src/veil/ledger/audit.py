"""The full audit of a stored log: every leaf hash, every stored subtree against its children,
the tree head and every checkpoint (with its stored cosignatures) against the stored tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from veil.errors import VerificationError
from veil.ledger import merkle
from veil.ledger.merkle import NodeId, leaf_hash, node_hash
from veil.ledger.note import NoteError, Verifier, cosigner_verifier, parse_note, verify_checkpoint
from veil.ledger.stores import MIN_STORED_LEVEL, Store, StoredCheckpoint, StoredLeaf

LeafCheck = Callable[[StoredLeaf], list[str]]
Fetch = Callable[[Sequence[NodeId]], dict[NodeId, bytes]]
Progress = Callable[[int, int], None]

if TYPE_CHECKING:
    from veil.ledger.log import TransparencyLog


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
        """Count a problem; its text is kept for the first MAX_LISTED problems only."""
        self.problem_count += 1
        if len(self.problems) < self.MAX_LISTED:
            self.problems.append(text)

    @property
    def ok(self) -> bool:
        """Whether the audit found no problem."""
        return self.problem_count == 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``veil ledger verify --json``): counts, then the problems listed."""
        return {
            "ok": self.ok,
            "size": self.size,
            "leaves_checked": self.leaves_checked,
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problem_count": self.problem_count,
            "problems": list(self.problems),
        }

    def summary(self) -> str:
        """The one-line verdict ``veil ledger verify`` prints when the store is sound."""
        if not self.ok:
            return str(self.error())
        return (
            f"ok: {self.size} leaves, {self.nodes_checked} tree nodes and "
            f"{self.checkpoints_checked} checkpoints verified"
        )

    def error(self) -> VerificationError:
        """The error (exit 3) a failed audit raises: the problem count and the first problem."""
        more = self.problem_count - len(self.problems)
        first = f"; first: {self.problems[0]}" if self.problems else ""
        return VerificationError(
            f"the ledger failed verification: {self.problem_count} problems"
            + (f" ({more} not listed)" if more else "")
            + first
        )


def audit_log(
    log: TransparencyLog,
    log_key: Verifier,
    witness_keys: Sequence[Verifier] = (),
    leaf_check: LeafCheck | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Recheck the whole store of ``log``: every leaf hash, every node, the head and every
    checkpoint. ``leaf_check(leaf)`` adds problems of each leaf's content;
    ``progress(leaves_done, size)`` is called every few thousand leaves of the first pass.
    """
    return _Audit(log.store, log.fetch, leaf_check, progress).run(log_key, witness_keys)


class _Audit:
    def __init__(
        self, store: Store, fetch: Fetch, leaf_check: LeafCheck | None, progress: Progress | None
    ) -> None:
        self.store = store
        self.fetch = fetch
        self.leaf_check = leaf_check
        self.progress = progress

    def run(self, log_key: Verifier, witness_keys: Sequence[Verifier]) -> AuditReport:
        rep = AuditReport()
        size, head_root = self.store.head()
        rep.size = size
        self._audit_leaves(rep, size)
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

    def _audit_leaves(self, rep: AuditReport, size: int) -> None:
        """Level 0: every stored leaf is there once, within the tree, and passes leaf_check."""
        leaf_check, progress = self.leaf_check, self.progress
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
