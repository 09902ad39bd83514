"""Detections: the one currency between detectors, the tracker, policies and redaction.

A :class:`Detections` holds ``n`` faces of one frame: ``boxes`` (``[n, 4]`` float32, x1 y1 x2 y2 in
pixels), ``scores`` (``[n]`` float32, 0..1), optional ``landmarks`` (``[n, 5, 2]`` float32) and
optional ``track_ids`` (``[n]`` int64, set by the tracker). Every operation returns a new object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from veil.errors import DetectionError

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Detections:
    """Faces found in one frame (see the module docstring for the array shapes)."""

    boxes: FloatArray
    scores: FloatArray
    landmarks: FloatArray | None = None
    track_ids: IntArray | None = None

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        n = len(boxes)
        if len(scores) != n:
            raise DetectionError(f"detections: {n} boxes but {len(scores)} scores")
        if not np.all(np.isfinite(boxes)) or not np.all(np.isfinite(scores)):
            raise DetectionError("detections: boxes or scores contain NaN or infinity")
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        if self.landmarks is not None:
            landmarks = np.asarray(self.landmarks, dtype=np.float32).reshape(n, 5, 2)
            object.__setattr__(self, "landmarks", landmarks)
        if self.track_ids is not None:
            track_ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
            if len(track_ids) != n:
                raise DetectionError(f"detections: {n} boxes but {len(track_ids)} track ids")
            object.__setattr__(self, "track_ids", track_ids)

    @classmethod
    def empty(cls) -> Detections:
        """No faces."""
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    @classmethod
    def concatenate(cls, parts: Sequence[Detections]) -> Detections:
        """Join detections of the same frame (e.g. from several tiles)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        landmarks = None
        if all(p.landmarks is not None for p in parts):
            landmarks = np.concatenate([p.landmarks for p in parts if p.landmarks is not None])
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            landmarks,
        )

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __getitem__(
        self, index: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | slice
    ) -> Detections:
        return Detections(
            self.boxes[index],
            self.scores[index],
            None if self.landmarks is None else self.landmarks[index],
            None if self.track_ids is None else self.track_ids[index],
        )

    @property
    def widths(self) -> FloatArray:
        """Box widths in pixels."""
        return np.asarray(self.boxes[:, 2] - self.boxes[:, 0], dtype=np.float32)

    @property
    def heights(self) -> FloatArray:
        """Box heights in pixels."""
        return np.asarray(self.boxes[:, 3] - self.boxes[:, 1], dtype=np.float32)

    def with_track_ids(self, track_ids: IntArray) -> Detections:
        """Return a copy carrying the tracker's ids."""
        return Detections(self.boxes, self.scores, self.landmarks, track_ids)

    def filter_score(self, threshold: float) -> Detections:
        """Keep faces scored at least ``threshold``."""
        return self[self.scores >= threshold]

    def scaled(
        self, sx: float, sy: float | None = None, dx: float = 0.0, dy: float = 0.0
    ) -> Detections:
        """Map coordinates: ``x * sx + dx``, ``y * sy + dy`` (e.g. from a resized frame or a tile)."""
        sy = sx if sy is None else sy
        factor = np.array([sx, sy, sx, sy], np.float32)
        offset = np.array([dx, dy, dx, dy], np.float32)
        landmarks = None
        if self.landmarks is not None:
            landmarks = self.landmarks * np.array([sx, sy], np.float32) + np.array(
                [dx, dy], np.float32
            )
        return Detections(self.boxes * factor + offset, self.scores, landmarks, self.track_ids)

    def clipped(self, width: int, height: int) -> Detections:
        """Clip boxes to the frame and drop the ones left empty."""
        boxes = self.boxes.copy()
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        clipped = Detections(boxes, self.scores, self.landmarks, self.track_ids)
        return clipped[(clipped.widths > 0) & (clipped.heights > 0)]

    def expanded(self, scale: float) -> Detections:
        """Grow every box about its centre by ``scale`` (``1.0`` keeps it)."""
        centers = (self.boxes[:, :2] + self.boxes[:, 2:]) / 2
        half = (self.boxes[:, 2:] - self.boxes[:, :2]) * (scale / 2)
        boxes = np.concatenate([centers - half, centers + half], axis=1)
        return Detections(boxes, self.scores, self.landmarks, self.track_ids)

    def nms(self, iou_threshold: float = 0.3) -> Detections:
        """Non-maximum suppression: drop faces overlapping a higher-scored one."""
        if len(self) <= 1:
            return self
        order = np.argsort(-self.scores, kind="stable")
        ious = box_iou(self.boxes, self.boxes)
        keep: list[int] = []
        suppressed = np.zeros(len(self), dtype=bool)
        for i in order:
            if suppressed[i]:
                continue
            keep.append(int(i))
            suppressed |= ious[i] > iou_threshold
        return self[np.asarray(keep, dtype=np.int64)]

    def to_records(self) -> list[dict[str, object]]:
        """Plain records for JSON output (box as x1 y1 x2 y2, rounded)."""
        records: list[dict[str, object]] = []
        for i in range(len(self)):
            record: dict[str, object] = {
                "box": [round(float(v), 1) for v in self.boxes[i]],
                "score": round(float(self.scores[i]), 4),
            }
            if self.track_ids is not None:
                record["track"] = int(self.track_ids[i])
            records.append(record)
        return records


def box_iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise intersection over union of two box arrays (``[n, 4]`` and ``[m, 4]``)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.asarray(np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0), np.float32)
