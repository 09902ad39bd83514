"""Redaction masks as ``veil blur`` renders them, and how much of a box they cover."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from veil.vision.detections import BoolArray, Detections, FloatArray
from veil.vision.redact import RedactionMode, RedactionSettings, redact_faces


def redaction_mask(
    height: int, width: int, faces: Detections, settings: RedactionSettings
) -> BoolArray:
    """The pixels ``veil blur`` would hide for ``faces``: rendered by the redaction code itself."""
    canvas = np.zeros((height, width, 3), np.uint8)
    solid = replace(settings, mode=RedactionMode.SOLID, color=(255, 255, 255))
    redact_faces(canvas, faces, solid)
    return np.asarray(canvas[:, :, 0] > 0, dtype=np.bool_)


def box_coverage(mask: BoolArray, boxes: FloatArray) -> FloatArray:
    """Fraction of each box's pixels (``[n, 4]`` x1 y1 x2 y2) that lie under ``mask``.

    A box covers the pixels whose centres it contains; parts outside the image count as uncovered
    (they cannot be hidden), and a box with no pixel inside the image has coverage 0.
    """
    height, width = mask.shape
    integral = np.zeros((height + 1, width + 1), np.int64)
    integral[1:, 1:] = np.cumsum(np.cumsum(mask, axis=0, dtype=np.int64), axis=1)
    result = np.zeros(len(boxes), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
        c0, c1 = round(x1), round(x2)
        r0, r1 = round(y1), round(y2)
        area = max(0, c1 - c0) * max(0, r1 - r0)
        if area == 0:
            continue
        c0, c1 = min(max(c0, 0), width), min(max(c1, 0), width)
        r0, r1 = min(max(r0, 0), height), min(max(r1, 0), height)
        inside = integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0]
        result[i] = inside / area
    return result
