"""Proofs from the stores (SQLite and PostgreSQL) against the RFC 9162 reference, for every size
and index pair of small trees, and with hypothesis over batch shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import ref_mth, ref_path, ref_subproof
from veil.errors import VerificationError
from veil.ledger import merkle
from veil.ledger.log import TransparencyLog
from veil.ledger.stores import LeafRow, open_store


def _log(url: str) -> TransparencyLog:
    store = open_store(url)
    store.initialize({})
    return TransparencyLog(store)


def _rows(start: int, n: int) -> list[LeafRow]:
    return [LeafRow(f"leaf {i}".encode(), i.to_bytes(16, "big")) for i in range(start, start + n)]


def test_every_size_and_index_pair_matches_the_reference(db_url: str) -> None:
    log = _log(db_url)
    leaves: list[bytes] = []
    for size in range(1, 41):
        row = _rows(size - 1, 1)
        log.append(row)
        leaves.append(row[0].data)
        assert log.root_at(size) == ref_mth(leaves)
        for m in range(size):
            proof = log.inclusion_proof(m, size)
            assert proof == ref_path(m, leaves)
            merkle.verify_inclusion(m, size, merkle.leaf_hash(leaves[m]), proof, ref_mth(leaves))
    # consistency between every pair of sizes, proved from the final store
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = log.consistency_proof(m, n)
            assert proof == (ref_subproof(m, leaves[:n], True) if m < n else [])
            merkle.verify_consistency(m, n, ref_mth(leaves[:m]), ref_mth(leaves[:n]), proof)
    log.store.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(st.integers(1, 70), min_size=1, max_size=6), data=st.data())
def test_batched_appends_prove_like_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int], data: st.DataObject
) -> None:
    path: Path = tmp_path_factory.mktemp("h") / "l.db"
    log = _log(f"sqlite:///{path}")
    leaves: list[bytes] = []
    sizes = []
    for b in batches:
        rows = _rows(len(leaves), b)
        assert log.append(rows) == len(leaves)
        leaves.extend(r.data for r in rows)
        sizes.append(len(leaves))
    n = len(leaves)
    assert log.head().root == ref_mth(leaves)
    m = data.draw(st.integers(0, n - 1))
    size = data.draw(st.integers(m + 1, n))
    assert log.inclusion_proof(m, size) == ref_path(m, leaves[:size])
    old = data.draw(st.sampled_from(sizes))
    new = data.draw(st.integers(old, n))
    proof = log.consistency_proof(old, new)
    merkle.verify_consistency(old, new, ref_mth(leaves[:old]), ref_mth(leaves[:new]), proof)
    log.store.close()


def test_proofs_beyond_the_tree_are_refused(db_url: str) -> None:
    log = _log(db_url)
    log.append(_rows(0, 5))
    with pytest.raises(VerificationError):
        log.inclusion_proof(5, 5)
    with pytest.raises(VerificationError):
        log.inclusion_proof(0, 6)
    with pytest.raises(VerificationError):
        log.consistency_proof(3, 9)
    log.store.close()


def test_proofs_read_few_nodes(tmp_path: Path) -> None:
    """O(log n) reads: a proof at 2**14 leaves asks the store for a handful of hashes."""
    log = _log(f"sqlite:///{tmp_path / 'l.db'}")
    for start in range(0, 1 << 14, 4096):
        log.append(_rows(start, 4096))
    asked: list[int] = []
    real = log.store.get_nodes

    def counting(keys):  # type: ignore[no-untyped-def]
        asked.extend(keys)
        return real(keys)

    log.store.get_nodes = counting  # type: ignore[method-assign]
    n = log.head().size
    log.inclusion_proof(12345, n - 7)
    assert len(asked) <= 2 * 15
    asked.clear()
    log.consistency_proof(9999, n - 3)
    assert len(asked) <= 3 * 15
    log.store.close()
