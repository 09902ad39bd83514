"""RFC 9162 Merkle hash trees: hashing, proof shapes and proof verification (pure functions).

The tree is exactly the one of RFC 9162 section 2.1 (and RFC 6962): SHA-256, leaf hashes
``SHA-256(0x00 || data)``, interior nodes ``SHA-256(0x01 || left || right)``, and the split of
``n`` leaves at the largest power of two smaller than ``n``.

Stores keep only *complete* subtrees, addressed by :class:`NodeId` ``(level, index)``: the subtree
of ``2**level`` leaves starting at leaf ``index * 2**level``. Complete subtrees never change once
written, so an append writes about two of them per leaf and a proof needs O(log n) of them: every
other hash is folded from those (:func:`range_nodes`, :func:`fold_range`). Proof generation here is
storage-independent: :func:`inclusion_ranges` / :func:`consistency_ranges` say which leaf ranges a
proof is made of, and :func:`inclusion_proof` / :func:`consistency_proof` take a function that
returns the hashes of the complete subtrees they name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from veil.errors import VerificationError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_PROOF_LENGTH = 63

_sha256 = hashlib.sha256


class ProofError(VerificationError):
    """An inclusion or consistency proof that is malformed or does not verify."""


class NodeId(NamedTuple):
    """A complete subtree: ``2**level`` leaves starting at ``index * 2**level``."""

    level: int
    index: int  # type: ignore[assignment]

    @property
    def start(self) -> int:
        """The first leaf index this subtree covers."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf index this subtree covers."""
        return (self.index + 1) << self.level


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    if n < 2:
        raise ValueError("n must be at least 2")
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, in O(n) time and O(log n) memory."""
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the right edge, levels decreasing
    for h in hashes:
        level = 0
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            h = node_hash(left, h)
            level += 1
        stack.append((level, h))
    if not stack:
        return EMPTY_ROOT
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """MTH(D[n]) over raw leaf data."""
    return root_from_leaf_hashes([leaf_hash(d) for d in leaves])


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The complete subtrees, left to right, that make up the leaf range ``[start, end)``.

    For the ranges RFC 9162 uses (subtrees of a tree, including the partial right edge) the
    hash of the range is :func:`fold_range` of these nodes' hashes.
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append(NodeId(level, start >> level))
        start += 1 << level
    return nodes


def fold_range(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its complete subtrees' hashes (left to right), folding from the right."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def frontier(size: int) -> list[NodeId]:
    """The complete subtrees along the right edge of a tree of ``size`` leaves (its compact range)."""
    return range_nodes(0, size)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form the inclusion proof of ``index`` in a tree of ``size`` leaves,
    in proof order (from the leaf's sibling up to the root's child), per RFC 9162 2.1.3.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index - start < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()
    return out


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form the consistency proof from ``old_size`` to ``new_size``,
    in proof order, per RFC 9162 2.1.4.1 (empty when ``old_size`` is 0 or equals ``new_size``)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"cannot prove consistency from size {old_size} to size {new_size}")
    out: list[tuple[int, int]] = []
    if old_size in (0, new_size):
        return out
    start, end = 0, new_size
    complete = True  # the RFC's flag b: the old tree is the whole current subtree
    while True:
        size = end - start
        m = old_size - start
        if m == size:
            if not complete:
                out.append((start, end))
            break
        k = largest_power_of_two_below(size)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            complete = False
    out.reverse()
    return out


NodeFetcher = Callable[[Sequence[NodeId]], dict[NodeId, bytes]]


def hashes_for_ranges(ranges: Sequence[tuple[int, int]], fetch: NodeFetcher) -> list[bytes]:
    """Resolve leaf ranges to hashes with one call to ``fetch`` for every complete subtree needed."""
    plans = [range_nodes(a, b) for a, b in ranges]
    wanted = sorted({n for plan in plans for n in plan})
    got = fetch(wanted)
    missing = [n for n in wanted if n not in got]
    if missing:
        raise ProofError(f"the store lacks tree node {missing[0]}")
    return [fold_range([got[n] for n in plan]) for plan in plans]


def inclusion_proof(index: int, size: int, fetch: NodeFetcher) -> list[bytes]:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return hashes_for_ranges(inclusion_ranges(index, size), fetch)


def consistency_proof(old_size: int, new_size: int, fetch: NodeFetcher) -> list[bytes]:
    """Consistency proof from the tree of ``old_size`` leaves to the tree of ``new_size``."""
    return hashes_for_ranges(consistency_ranges(old_size, new_size), fetch)


def root_at(size: int, fetch: NodeFetcher) -> bytes:
    """Root hash of the tree of ``size`` leaves from its stored complete subtrees."""
    return hashes_for_ranges([(0, size)], fetch)[0]


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} is not a {HASH_SIZE}-byte SHA-256 hash")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for leaf hash ``leaf`` at ``index`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash("leaf hash", leaf)
    if len(proof) > MAX_PROOF_LENGTH:
        raise ProofError("inclusion proof is too long")
    fn, sn = index, size - 1
    r = bytes(leaf)
    for i, p in enumerate(proof):
        _check_hash(f"inclusion proof hash {i}", p)
        if sn == 0:
            raise ProofError("inclusion proof is too long for the tree size")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short for the tree size")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash ``leaf`` is at ``index`` in the tree of ``size`` leaves with ``root``.

    Raises :class:`ProofError` naming what is wrong; returns None when the proof holds.
    """
    _check_hash("root hash", root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the root of size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``).

    RFC 9162 2.1.4.2; an old size of 0 (the empty tree) needs an empty proof. Raises
    :class:`ProofError` naming what is wrong.
    """
    _check_consistency_input(old_size, new_size, old_root, new_root, proof)
    if old_size == 0 or old_size == new_size:
        _check_trivial_consistency(old_size, old_root, new_root, proof)
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fr, sr = _consistency_roots(old_size, new_size, path)
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the old root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the new root of size {new_size}")


def _check_consistency_input(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """The hashes are SHA-256 sized, the sizes ordered and the proof not over-long."""
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if len(proof) > MAX_PROOF_LENGTH:
        raise ProofError("consistency proof is too long")
    for i, p in enumerate(proof):
        _check_hash(f"consistency proof hash {i}", p)


def _check_trivial_consistency(
    old_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """From the empty tree, or between equal sizes: the proof is empty (and the roots equal)."""
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if proof:
        raise ProofError("a consistency proof between equal sizes must be empty")
    if old_root != new_root:
        raise ProofError(f"two different roots for the same tree size {old_size}")


def _consistency_roots(old_size: int, new_size: int, path: list[bytes]) -> tuple[bytes, bytes]:
    """The old and new roots that a consistency path implies (RFC 9162 2.1.4.2, steps 3-7)."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr
