"""Shared helpers for the ledger tests: a naive RFC 9162 reference and in-memory node stores."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from veil.ledger.events import Event
from veil.ledger.merkle import NodeId


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) written exactly as the recursive definition of RFC 9162 2.1.1."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 9162 2.1.3.1."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) from RFC 9162 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def node_table(leaves: Sequence[bytes]) -> dict[NodeId, bytes]:
    """Every complete subtree hash of a tree over ``leaves`` (what a store keeps)."""
    table: dict[NodeId, bytes] = {}
    level_hashes = [hashlib.sha256(b"\x00" + d).digest() for d in leaves]
    level = 0
    while level_hashes:
        for i, h in enumerate(level_hashes):
            table[NodeId(level, i)] = h
        level_hashes = [
            hashlib.sha256(b"\x01" + level_hashes[i] + level_hashes[i + 1]).digest()
            for i in range(0, len(level_hashes) - 1, 2)
        ]
        level += 1
    return table


def fetcher(table: dict[NodeId, bytes]):  # type: ignore[no-untyped-def]
    def fetch(ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        return {i: table[i] for i in ids if i in table}

    return fetch


def make_event(
    i: int = 0, subject: str | None = None, action: str = "collect", **extra: object
) -> Event:
    """A valid event; ``i`` varies the purpose so leaves differ."""
    kw: dict[str, object] = {
        "action": action,
        "controller": "Example Shop Ltd",
        "system": "gate-1",
        "data_categories": ["image.scene"],
        "purpose": f"entrance monitoring {i}",
        "legal_basis": "contract",
        "subject_pseudonym": subject,
    }
    kw.update(extra)
    return Event.new(**kw)  # type: ignore[arg-type]
