"""RFC 9162 hashing and proofs: published vectors, a naive reference, and property tests."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import fetcher, node_table, ref_mth, ref_path, ref_subproof
from veil.ledger import merkle
from veil.ledger.merkle import ProofError

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "transparency_dev_merkle.json").read_text()
)
LEAVES = [bytes.fromhex(h) for h in VECTORS["leaves_hex"]]


def b64(s: str) -> bytes:
    return base64.b64decode(s)


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert merkle.root_from_leaves([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(size: int) -> None:
    want = VECTORS["roots_hex"][str(size)]
    assert merkle.root_from_leaves(LEAVES[:size]).hex() == want
    table = node_table(LEAVES[:size])
    assert merkle.root_at(size, fetcher(table)).hex() == want


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: c["file"])
def test_inclusion_vectors(case: dict) -> None:  # type: ignore[type-arg]
    proof = [b64(p) for p in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof, b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)
        table = node_table(LEAVES[: case["treeSize"]])
        assert merkle.inclusion_proof(case["leafIdx"], case["treeSize"], fetcher(table)) == proof


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: c["file"])
def test_consistency_vectors(case: dict) -> None:  # type: ignore[type-arg]
    proof = [b64(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]), proof)
    if case["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)
        table = node_table(LEAVES[: case["size2"]])
        assert merkle.consistency_proof(case["size1"], case["size2"], fetcher(table)) == proof


def _leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_matches_reference_and_verifies(pair: tuple[int, int]) -> None:
    n, m = pair
    leaves = _leaves(n)
    table = node_table(leaves)
    proof = merkle.inclusion_proof(m, n, fetcher(table))
    assert proof == ref_path(m, leaves)
    root = ref_mth(leaves)
    merkle.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), proof, root)
    # any other index, size or leaf fails
    with pytest.raises(ProofError):
        merkle.verify_inclusion(m, n, merkle.leaf_hash(b"other"), proof, root)
    if n > 1:
        with pytest.raises(ProofError):
            merkle.verify_inclusion((m + 1) % n, n, merkle.leaf_hash(leaves[m]), proof, root)
    with pytest.raises(ProofError):  # a proof one hash short or long for the size
        merkle.verify_inclusion(m, 2 * n, merkle.leaf_hash(leaves[m]), proof, root)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_matches_reference_and_verifies(pair: tuple[int, int]) -> None:
    m, n = pair
    leaves = _leaves(n)
    table = node_table(leaves)
    proof = merkle.consistency_proof(m, n, fetcher(table))
    assert proof == (ref_subproof(m, leaves, True) if m < n else [])
    old_root, new_root = ref_mth(leaves[:m]), ref_mth(leaves)
    merkle.verify_consistency(m, n, old_root, new_root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(m, n, ref_mth(_leaves(m + 1)[1:]), new_root, proof)
    if m < n:
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, old_root, ref_mth([*leaves[:-1], b"x"]), proof)
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, new_root, old_root, proof)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 200).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.data(),
)
def test_any_single_bit_flip_in_a_proof_is_rejected(
    pair: tuple[int, int], data: st.DataObject
) -> None:
    n, m = pair
    leaves = _leaves(n)
    proof = merkle.inclusion_proof(m, n, fetcher(node_table(leaves)))
    i = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    bad = bytearray(proof[i])
    bad[bit // 8] ^= 1 << (bit % 8)
    forged = [*proof[:i], bytes(bad), *proof[i + 1 :]]
    with pytest.raises(ProofError):
        merkle.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), forged, ref_mth(leaves))


def test_malformed_proof_inputs_are_rejected_cleanly() -> None:
    root = merkle.root_from_leaves(LEAVES)
    leaf = merkle.leaf_hash(LEAVES[0])
    for args in [
        (8, 8, leaf, [], root),  # index outside the tree
        (-1, 8, leaf, [], root),
        (0, 8, leaf[:31], [], root),  # short leaf hash
        (0, 8, leaf, [b"x"], root),  # short proof hash
        (0, 8, leaf, [leaf] * 64, root),  # absurdly long proof
        (0, 8, leaf, [], root[:5]),
    ]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)  # type: ignore[arg-type]
    with pytest.raises(ProofError):
        merkle.verify_consistency(5, 3, root, root, [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, root, [root])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 3, root, merkle.EMPTY_ROOT, [])


def test_range_nodes_cover_the_range_with_aligned_complete_subtrees() -> None:
    for start, end in [(0, 1), (0, 7), (8, 13), (4, 8), (0, 1 << 20)]:
        nodes = merkle.range_nodes(start, end)
        assert nodes[0].start == start and nodes[-1].end == end
        for a, b in itertools.pairwise(nodes):
            assert a.end == b.start
    assert len(merkle.frontier(1_000_000)) == bin(1_000_000).count("1")
