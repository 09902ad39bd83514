"""1:N matching of face embeddings against enrolled templates (pure numpy).

:class:`Gallery` holds the templates as one float32 matrix with precomputed squared norms, so the
squared Euclidean distance of every query to every template is one matrix product
(``|q|^2 + |t|^2 - 2 q.t``); galleries larger than ``chunk`` rows are scanned in blocks to bound
memory. 100,000 templates x 128 dimensions is 51 MB and one query takes about a millisecond on two
cores (see ``bench/consent_matching.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

CHUNK = 32768

# Faces closer than this (Euclidean, dlib ResNet v1 embeddings) match. Measured with
# `veil eval identities ../shared/data/faces/identities` (130 usable photos, 426 genuine and 7,959
# impostor pairs): 0.56 accepts 3 impostor pairs (FAR 3.8e-4; one-sided 95% upper bound 9.7e-4,
# within the 1e-3 target) and 96.5% of genuine pairs. The point estimate for FAR 1e-3 (0.602) is
# not used: its upper bound exceeds the target. A false match shows a non-consenting face.
DEFAULT_THRESHOLD = 0.56


@dataclass(frozen=True)
class Gallery:
    """Templates ``vectors`` ``[n, d]``; ``owners[i]`` is the index of template ``i``'s owner."""

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
        return int(self.vectors.shape[1])

    def nearest(self, queries: npt.ArrayLike, *, chunk: int = CHUNK) -> tuple[IntArray, FloatArray]:
        """For each query, the index of the nearest template (``-1`` if none) and its distance."""
        q = np.ascontiguousarray(np.asarray(queries, dtype=np.float32)).reshape(-1, self.dim)
        count = len(q)
        best_index = np.full(count, -1, dtype=np.int64)
        best_sq = np.full(count, np.inf, dtype=np.float32)
        if count == 0 or len(self) == 0:
            return best_index, np.sqrt(best_sq)
        q_sq = np.einsum("ij,ij->i", q, q)
        columns = np.arange(count)
        for start in range(0, len(self), chunk):
            block = self.vectors[start : start + chunk]
            # [rows, queries]: with the gallery as the left operand BLAS streams it once.
            sq = block @ q.T
            sq *= -2.0
            sq += self.sq_norms[start : start + chunk, None]
            local = np.argmin(sq, axis=0)
            local_sq = sq[local, columns] + q_sq
            better = local_sq < best_sq
            best_sq[better] = local_sq[better]
            best_index[better] = local[better] + start
        return best_index, np.sqrt(np.maximum(best_sq, 0.0)).astype(np.float32)

    def match(
        self, queries: npt.ArrayLike, threshold: float, *, allowed: npt.ArrayLike | None = None
    ) -> tuple[IntArray, FloatArray]:
        """Owner of the nearest template when closer than ``threshold``, else ``-1``; distances.

        ``allowed`` (a boolean mask over owners) excludes owners whose consent lapsed since the
        gallery was built: their templates are ignored, never matched.
        """
        gallery = self
        if allowed is not None:
            mask = np.asarray(allowed, dtype=bool)
            keep = mask[self.owners] if len(self) else np.zeros(0, dtype=bool)
            if not np.all(keep):
                gallery = Gallery(self.vectors[keep], self.owners[keep], self.sq_norms[keep])
        index, distance = gallery.nearest(queries)
        if len(gallery) == 0:
            return np.full(len(index), -1, dtype=np.int64), distance
        owners = np.where(index >= 0, gallery.owners[np.maximum(index, 0)], -1)
        owners = np.where(distance < threshold, owners, -1).astype(np.int64)
        return owners, distance
