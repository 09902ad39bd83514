"""Hide faces in a frame with the registered mode and shape that the settings name.

Every built-in mode destroys the face's detail in proportion to its size (see
:mod:`veil.vision.redact.blur`); the mask has a hard edge (no partial blending of original
pixels). A mode that answers with the wrong shape or type raises, and the frame step blanks the
frame (fail closed).
"""

from __future__ import annotations

import cv2
import numpy as np

from veil.core.frame import Frame
from veil.vision.detections import BoolArray, Detections
from veil.vision.redact.registry import MODES, SHAPES, Hider, Masker
from veil.vision.redact.settings import RedactionSettings

__all__ = ["redact_faces", "redact_frame"]


def redact_faces(frame: Frame, faces: Detections, settings: RedactionSettings) -> Frame:
    """Hide ``faces`` in ``frame`` in place and return it."""
    if not len(faces):
        return frame
    hide, mask = MODES.get(settings.mode), SHAPES.get(settings.shape)
    h, w = frame.shape[:2]
    for box in faces.expanded(settings.mask_scale).boxes:
        _redact_region(frame, box, settings, hide, mask, (w, h))
    return frame


def redact_frame(frame: Frame) -> Frame:
    """Hide the whole frame (fail closed: used when a frame could not be checked)."""
    frame[...] = 0
    return frame


def _redact_region(
    frame: Frame,
    box: np.ndarray,
    settings: RedactionSettings,
    hide: Hider,
    mask: Masker,
    size: tuple[int, int],
) -> None:
    x_a, y_a, x_b, y_b = (float(v) for v in box)
    # Corners in either order still mark a region to hide (never a reason to fail).
    bx0, bx1, by0, by1 = min(x_a, x_b), max(x_a, x_b), min(y_a, y_b), max(y_a, y_b)
    x0, y0 = max(0, int(np.floor(bx0))), max(0, int(np.floor(by0)))
    x1, y1 = min(size[0], int(np.ceil(bx1))), min(size[1], int(np.ceil(by1)))
    if x1 <= x0 or y1 <= y0:
        return
    roi = frame[y0:y1, x0:x1]
    hidden = hide(roi, max(bx1 - bx0, by1 - by0), settings)
    if not isinstance(hidden, np.ndarray) or hidden.shape != roi.shape:
        raise TypeError(f"redaction mode {settings.mode!r} answered with the wrong shape")
    where = mask(y1 - y0, x1 - x0, (bx0 - x0, by0 - y0, bx1 - x0, by1 - y0))
    if where is None:
        roi[...] = hidden
        return
    if where.shape != roi.shape[:2]:
        raise TypeError(f"mask shape {settings.shape!r} answered with the wrong size")
    copy_masked(hidden, where, roi)


def copy_masked(source: Frame, where: BoolArray, target: Frame) -> None:
    """Copy the pixels of ``source`` where ``where`` holds into ``target``, in place.

    OpenCV's masked copy is about 100x faster than numpy's ``copyto(where=...)`` broadcast over
    the three channels (1.2 ms against 0.01 ms for a 300 px face region).
    """
    written = cv2.copyTo(source, np.ascontiguousarray(where, np.bool_).view(np.uint8), target)
    if written is not target:  # OpenCV could not write into this view: numpy's way instead
        np.copyto(target, source, where=where[:, :, None])
