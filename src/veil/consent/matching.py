"""1:N matching of face embeddings against enrolled templates (pure numpy, exact search).

:class:`Gallery` holds the templates as one C-contiguous float32 matrix (``[n, d]``) with their
squared norms precomputed, so the squared Euclidean distance of a query to every template is
``|t|^2 - 2 q.t + |q|^2``: one pass over the gallery in memory order. The product is numpy's
``einsum`` loop, single-threaded on purpose: a matrix-vector product is bound by memory bandwidth,
and multi-threaded BLAS only adds synchronization that, on a busy machine (video decoding, the
detector), made single queries 5-10x slower and erratic in our measurements. Templates whose
owner may not be matched (a consent that lapsed since the gallery was built) are masked out of the
argmin, never copied. 100,000 templates x 128 dimensions is 51 MB; see ``bench/consent_bench.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Faces closer than this (Euclidean, dlib ResNet v1 embeddings) match. Measured with
# `veil eval identities ../shared/data/faces/identities` (130 usable photos, 426 genuine and 7,959
# impostor pairs): 0.56 accepts 3 impostor pairs (FAR 3.8e-4; one-sided 95% upper bound 9.7e-4,
# within the 1e-3 target) and 96.5% of genuine pairs. The point estimate for FAR 1e-3 (0.602) is
# not used: its upper bound exceeds the target. A false match shows a non-consenting face.
DEFAULT_THRESHOLD = 0.56


@dataclass(frozen=True)
class Gallery:
    """Templates ``vectors`` ``[n, d]``; ``owners[i]`` is the index of template ``i``'s owner;
    ``sq_norms[i]`` its squared norm."""

    vectors: FloatArray
    owners: IntArray
    sq_norms: FloatArray

    @classmethod
    def build(cls, vectors: npt.ArrayLike, owners: npt.ArrayLike) -> Gallery:
        """Pack templates (``[n, d]``) and their owner indexes (``[n]``)."""
        matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        if matrix.ndim != 2:
            raise ValueError(f"templates must be a 2-d array, got shape {matrix.shape}")
        owner_ids = np.asarray(owners, dtype=np.int64).reshape(-1)
        if len(owner_ids) != len(matrix):
            raise ValueError(f"{len(matrix)} templates but {len(owner_ids)} owners")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("templates contain NaN or infinity")
        return cls(matrix, owner_ids, np.einsum("ij,ij->i", matrix, matrix).astype(np.float32))

    @classmethod
    def empty(cls, dim: int) -> Gallery:
        """A gallery with no templates (everything is redacted)."""
        return cls.build(np.zeros((0, dim), np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        """The length of each embedding vector."""
        return int(self.vectors.shape[1])

    def nearest(
        self, queries: npt.ArrayLike, *, usable: BoolArray | None = None
    ) -> tuple[IntArray, FloatArray]:
        """For each query, the nearest usable template's index (``-1`` if none) and distance."""
        q = np.ascontiguousarray(np.asarray(queries, dtype=np.float32)).reshape(-1, self.dim)
        count = len(q)
        best_index = np.full(count, -1, dtype=np.int64)
        best_sq = np.full(count, np.inf, dtype=np.float32)
        if count == 0 or len(self) == 0:
            return best_index, np.sqrt(best_sq)
        blocked = None if usable is None else ~np.asarray(usable, dtype=bool)
        if blocked is not None and blocked.all():
            return best_index, np.sqrt(best_sq)
        for i, query in enumerate(q):
            scores = np.einsum("nd,d->n", self.vectors, query)  # q.t for every template
            scores *= -2.0
            scores += self.sq_norms
            if blocked is not None:
                scores[blocked] = np.inf
            best = int(np.argmin(scores))
            best_index[i] = best
            best_sq[i] = scores[best] + float(query @ query)
        return best_index, np.sqrt(np.maximum(best_sq, 0.0)).astype(np.float32)

    def match(
        self, queries: npt.ArrayLike, threshold: float, *, allowed: npt.ArrayLike | None = None
    ) -> tuple[IntArray, FloatArray]:
        """Owner of the nearest template when closer than ``threshold``, else ``-1``; distances.

        ``allowed`` (a boolean mask over owners) excludes owners whose consent lapsed since the
        gallery was built: their templates are ignored, never matched.
        """
        usable = None
        if allowed is not None and len(self):
            mask = np.asarray(allowed, dtype=bool)
            if not mask.all():  # the common case, everyone allowed, costs no pass at all
                usable = mask[self.owners]
        index, distance = self.nearest(queries, usable=usable)
        owners = np.full(len(index), -1, dtype=np.int64)
        found = (index >= 0) & (distance < threshold)
        owners[found] = self.owners[index[found]]
        return owners, distance
