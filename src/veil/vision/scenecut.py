"""Cheap scene-cut detection, so the first frame of a new scene is always detected on.

Between detections faces are carried by the tracker; after a hard cut its tracks belong to the
old scene, and the new scene's faces would be shown raw until the next scheduled detection.
:class:`SceneCutDetector` compares each frame with the one before on a tiny thumbnail (a strided
sample about 64 pixels wide, no conversion of the full frame): the L1 distance of the grey
histograms of its four quadrants (averaged) and the mean absolute difference of the thumbnails.
A pan or a zoom moves the picture but keeps its histograms; a cut changes both. Both must pass
their threshold. Measured (``python bench/live_clip.py``, BENCHMARKS.md "Scene cuts"): 93 cuts
between WIDER FACE photos scored at least 0.39 / 44, the three real cuts of the Hamilton clip at
least 0.50 / 28; 6,500 pan, zoom and drift frames at most 0.23 histogram distance, and the real
clips' other frames with a difference of 20 or more at most 0.31. A false cut costs one
detection, a missed one can show a face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from veil.vision.policy import Frame

THUMB_WIDTH = 64
_BINS = 16


@dataclass(frozen=True)
class SceneCutSettings:
    """Thresholds: ``histogram`` (L1 distance of normalised grey histograms, 0..2) and
    ``difference`` (mean absolute grey difference of the thumbnails, 0..255)."""

    histogram: float = 0.35
    difference: float = 20.0


def thumbnail(frame: Frame, width: int = THUMB_WIDTH) -> np.ndarray:
    """A small grey float32 picture of ``frame`` (BGR or grey) from a strided sample."""
    return grey_sample(frame, max(1, frame.shape[1] // width))


def grey_sample(frame: Frame, step: int) -> np.ndarray:
    """Every ``step``-th pixel of ``frame`` (BGR or grey) in each direction, as grey float32."""
    sample = np.asarray(frame[step // 2 :: step, step // 2 :: step], np.float32)
    if sample.ndim == 3:
        sample = sample[..., 0] * 0.114 + sample[..., 1] * 0.587 + sample[..., 2] * 0.299
    return sample


def _histograms(thumb: np.ndarray) -> np.ndarray:
    """Normalised grey histograms of the thumbnail's four quadrants, ``[4, _BINS]``."""
    h, w = thumb.shape[:2]
    bins = np.minimum((thumb * (_BINS / 256.0)).astype(np.int64), _BINS - 1)
    quadrant = (np.arange(h)[:, None] >= h // 2) * 2 + (np.arange(w)[None, :] >= w // 2)
    counts = np.bincount((quadrant * _BINS + bins).ravel(), minlength=4 * _BINS)
    sizes = np.bincount(quadrant.ravel(), minlength=4)
    return counts.reshape(4, _BINS) / np.maximum(sizes, 1)[:, None]


def cut_scores(previous: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(histogram distance, mean absolute difference) of two thumbnails of the same size.

    The distance is the mean, over the four quadrants, of the L1 distance of their grey
    histograms: two photos of similar overall tone still differ in where it lies."""
    if previous.shape != current.shape:
        return 2.0, 255.0  # the picture size changed: treat it as a new scene
    distance = np.abs(_histograms(previous) - _histograms(current)).sum(axis=1).mean()
    return float(distance), float(np.abs(previous - current).mean())


class SceneCutDetector:
    """Says, frame by frame, whether a frame starts a new scene (the first frame does)."""

    def __init__(self, settings: SceneCutSettings | None = None) -> None:
        self.settings = settings or SceneCutSettings()
        self._previous: np.ndarray | None = None
        self.cuts = 0

    def is_cut(self, frame: Frame) -> bool:
        """Whether ``frame`` differs from the previous one as a cut does; remembers it."""
        current = thumbnail(frame)
        previous, self._previous = self._previous, current
        if previous is None:
            return True
        histogram, difference = cut_scores(previous, current)
        cut = histogram >= self.settings.histogram and difference >= self.settings.difference
        self.cuts += int(cut)
        return cut

    def reset(self) -> None:
        """Forget the previous frame (the next one counts as a new scene)."""
        self._previous = None
