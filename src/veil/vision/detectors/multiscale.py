"""Multi-scale detection: any Detector, run at native scale plus upscaled (and flipped) passes.

Upscaled passes are tiled: each tile is cut from the original image and only that crop is
resized, so the largest array is about ``tile`` x ``tile`` pixels whatever the photo's size.
Tiles overlap by more than the largest face an upscaled pass keeps, so every such face lies whole
in some tile; detections touching an inner tile edge (cut faces) are dropped. Upscaled passes
keep only faces small in the original image (``max_face``): large faces come from the native pass,
whose scores are calibrated for them. The extra passes are merged by NMS among themselves, and a
face they find is added only where no native detection overlaps it: native detections are kept
exactly, so the merged mask covers all the native pass masks and no face size ever loses
protection against the native pass (scores of different scales are never compared with native).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
import numpy.typing as npt

from veil.vision.detections import Detections, box_iou
from veil.vision.detectors import Detector
from veil.vision.tiling import plan_tiles

MERGE_IOU = 0.3
_FLIP_LANDMARKS = [1, 0, 2, 4, 3]  # mirrored: left and right eye / mouth corner swap


@dataclass(frozen=True)
class ScalePass:
    """One extra pass: ``scale`` (>1 upscales), faces kept up to ``max_face`` px (original)."""

    scale: float
    max_face: float
    flip: bool = False


class MultiScaleDetector:
    """Wraps ``base``: native pass, then each :class:`ScalePass`, merged into one Detections."""

    def __init__(
        self,
        base: Detector,
        passes: tuple[ScalePass, ...] = (),
        *,
        flip_native: bool = False,
        tile: int = 1024,
    ) -> None:
        self.base = base
        self.name = base.name
        self.passes = passes
        self.flip_native = flip_native
        self.tile = tile

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Find faces in a BGR frame at every configured scale."""
        h, w = frame.shape[:2]
        native = self.base.detect(frame)
        parts: list[Detections] = []
        if self.flip_native:
            parts.append(self._flipped(frame, self.base.detect))
        for p in self.passes:
            found = self._upscaled(frame, p)
            if p.flip:
                found = Detections.concatenate(
                    [found, self._flipped(frame, partial(self._upscaled, p=p))]
                )
            parts.append(found)
        extra = Detections.concatenate(parts).nms(MERGE_IOU)
        if len(native) and len(extra):
            extra = extra[box_iou(extra.boxes, native.boxes).max(axis=1) < MERGE_IOU]
        return Detections.concatenate([native, extra]).clipped(w, h)

    @staticmethod
    def _flipped(
        frame: npt.NDArray[np.uint8], run: Callable[[npt.NDArray[np.uint8]], Detections]
    ) -> Detections:
        w = frame.shape[1]
        found = run(np.ascontiguousarray(frame[:, ::-1]))
        boxes = found.boxes.copy()
        boxes[:, [0, 2]] = w - found.boxes[:, [2, 0]]
        landmarks = None
        if found.landmarks is not None:
            landmarks = found.landmarks[:, _FLIP_LANDMARKS].copy()
            landmarks[:, :, 0] = w - landmarks[:, :, 0]
        return Detections(boxes, found.scores, landmarks)

    def _upscaled(self, frame: npt.NDArray[np.uint8], p: ScalePass) -> Detections:
        """Detect on ``frame`` scaled by ``p.scale``, tile by tile; boxes in frame pixels."""
        h, w = frame.shape[:2]
        span = max(1, int(self.tile / p.scale))  # tile side in original pixels
        margin = 2 * p.max_face  # a kept face fits whole in the overlap
        overlap = min(0.5, margin / span) if span < max(h, w) else 0.0
        parts = []
        for x0, y0, x1, y1 in plan_tiles(w, h, span, overlap):
            crop = frame[y0:y1, x0:x1]
            size = (max(1, round((x1 - x0) * p.scale)), max(1, round((y1 - y0) * p.scale)))
            big = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR), np.uint8)
            found = self.base.detect(big).scaled((x1 - x0) / size[0], (y1 - y0) / size[1], x0, y0)
            side = np.minimum(found.widths, found.heights)
            b = found.boxes
            cut = (
                ((b[:, 0] <= x0 + 1) & (x0 > 0))
                | ((b[:, 1] <= y0 + 1) & (y0 > 0))
                | ((b[:, 2] >= x1 - 1) & (x1 < w))
                | ((b[:, 3] >= y1 - 1) & (y1 < h))
            )
            parts.append(found[(side < p.max_face) & ~cut])
        return Detections.concatenate(parts)
