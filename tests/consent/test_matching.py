"""1:N matching: the nearest template under the threshold, equal to brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.consent.matching import Gallery


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 300),
    q=st.integers(0, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_nearest_equals_brute_force(n: int, q: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 16)).astype(np.float32)
    queries = rng.normal(size=(q, 16)).astype(np.float32)
    index, distance = Gallery.build(vectors, np.arange(n)).nearest(queries)
    brute = (
        np.linalg.norm(queries[:, None, :] - vectors[None, :, :], axis=2) if q else np.zeros((0, n))
    )
    assert np.allclose(distance, brute.min(axis=1), atol=1e-3)
    assert np.allclose(brute[np.arange(q), index], brute.min(axis=1), atol=1e-3)


def test_match_applies_threshold_and_owner_mask() -> None:
    vectors = np.array([[0, 0], [1, 0], [0, 1]], np.float32)
    gallery = Gallery.build(vectors, [0, 1, 1])
    queries = np.array([[0.1, 0], [0.9, 0], [5, 5]], np.float32)
    owners, _ = gallery.match(queries, 0.3)
    assert owners.tolist() == [0, 1, -1]
    owners, _ = gallery.match(queries, 0.3, allowed=[False, True])
    assert owners.tolist() == [-1, 1, -1]  # owner 0 lapsed: its template is never matched
    owners, _ = gallery.match(queries, 0.3, allowed=[False, False])
    assert owners.tolist() == [-1, -1, -1]
    # Masked templates are skipped even when nearer: the next usable one wins.
    index, _ = Gallery.build(vectors, [0, 1, 2]).nearest(
        queries[:1], usable=np.array([False, True, True])
    )
    assert index.tolist() == [1]


def test_empty_gallery_and_bad_input() -> None:
    owners, distance = Gallery.empty(4).match(np.ones((2, 4), np.float32), 1.0)
    assert owners.tolist() == [-1, -1] and np.isinf(distance).all()
    with pytest.raises(ValueError, match="NaN"):
        Gallery.build([[np.nan, 0]], [0])
    with pytest.raises(ValueError, match="owners"):
        Gallery.build(np.zeros((2, 3)), [0])
