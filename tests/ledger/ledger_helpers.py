"""Shared helpers for the ledger tests: a naive RFC 9162 reference and in-memory node stores."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from veil.ledger.events import Event
from veil.ledger.merkle import NodeId

if TYPE_CHECKING:
    import pytest


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


def veil(
    capsys: pytest.CaptureFixture[str], *args: str | Path, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run ``veil ARGS`` in-process: (exit status, stdout, stderr); ``stdin`` replaces the
    standard input while it runs (None: left as it is)."""
    from veil.cli.main import main

    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def veil_without_input(
    capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str, str]:
    """:func:`veil` with an empty standard input."""
    return veil(capsys, *args, stdin="")


def event_line(i: int, subject: str | None = None, **extra: object) -> str:
    """One event as a JSON line, as `veil ledger append` reads them (``extra`` overrides)."""
    ev: dict[str, object] = {
        "action": "collect",
        "controller": "Example Shop Ltd",
        "system": "gate-1",
        "data_categories": ["image.scene"],
        "purpose": f"entrance monitoring {i}",
        "legal_basis": "contract",
    }
    if subject:
        ev["subject_id"] = subject
    ev.update(extra)
    return json.dumps(ev)
