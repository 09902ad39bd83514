"""``ellipse``: hide the ellipse inscribed in the face box (the default shape)."""

from __future__ import annotations

import cv2
import numpy as np

from veil.vision.detections import BoolArray


def mask(height: int, width: int, box: tuple[float, float, float, float]) -> BoolArray:
    """The pixels of the ellipse inscribed in ``box``."""
    x0, y0, x1, y1 = box
    canvas = np.zeros((height, width), np.uint8)
    center = ((x0 + x1) / 2, (y0 + y1) / 2)
    cv2.ellipse(canvas, (center, (x1 - x0, y1 - y0), 0.0), 255, thickness=-1)
    return canvas.astype(bool)
