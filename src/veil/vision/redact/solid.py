"""``solid``: paint the face over in ``settings.color``."""

from __future__ import annotations

import numpy as np

from veil.core.frame import Frame
from veil.vision.redact.settings import RedactionSettings


def hide(region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
    """``region`` painted in one colour."""
    return np.full_like(region, settings.color)
