"""``pixelate``: the face as ``PIXELATE_BLOCKS`` flat blocks across, however large it is."""

from __future__ import annotations

import cv2
import numpy as np

from veil.core.frame import Frame
from veil.vision.redact.blur import shrink
from veil.vision.redact.settings import RedactionSettings

PIXELATE_BLOCKS = 6  # blocks across a face when pixelating


def hide(region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
    """The pixelated version of ``region``."""
    rh, rw = region.shape[:2]
    small = shrink(region, face_size, PIXELATE_BLOCKS)
    return np.asarray(cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST), np.uint8)
