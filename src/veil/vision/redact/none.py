"""``none``: leave faces visible. For debugging detection only; never for real output."""

from __future__ import annotations

from veil.core.frame import Frame
from veil.vision.redact.settings import RedactionSettings


def hide(region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
    """``region`` itself: nothing is hidden."""
    return region
