"""``blur``: reduce the face to a few samples across, smooth them, draw them back at full size.

The face keeps only ``BLUR_SAMPLES`` samples across, far below what recognition needs, however
large it is; the cost no longer grows with the face size times a face-sized kernel (a full-size
Gaussian took ~170 ms on a 400 px face).
"""

from __future__ import annotations

import cv2
import numpy as np

from veil.core.frame import Frame
from veil.vision.redact.settings import RedactionSettings

BLUR_SAMPLES = 4  # samples across a face after blurring: far below what recognition needs


def shrink(region: Frame, face_size: float, samples: int) -> Frame:
    """``region`` reduced to about ``samples`` blocks across the face (at least 2 px a block)."""
    rh, rw = region.shape[:2]
    block = max(2.0, face_size / samples)
    small_size = (max(1, round(rw / block)), max(1, round(rh / block)))
    return np.asarray(cv2.resize(region, small_size, interpolation=cv2.INTER_AREA), np.uint8)


def hide(region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
    """The blurred version of ``region``."""
    rh, rw = region.shape[:2]
    small = cv2.GaussianBlur(shrink(region, face_size, BLUR_SAMPLES), (3, 3), 0)
    return np.asarray(cv2.resize(small, (rw, rh), interpolation=cv2.INTER_CUBIC), np.uint8)
