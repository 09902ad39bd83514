"""Redaction: hide faces irreversibly, with modes and mask shapes registered by name.

``MODES`` and ``SHAPES`` (:mod:`veil.vision.redact.registry`) hold them; one module per built-in
mode (``blur``, ``pixelate``, ``solid``, ``none``) and shape (``ellipse``, ``box``).
"""

from veil.vision.redact.apply import redact_faces, redact_frame
from veil.vision.redact.registry import MODES, SHAPES, Hider, Masker, Registry
from veil.vision.redact.settings import MaskShape, RedactionMode, RedactionSettings

__all__ = [
    "MODES",
    "SHAPES",
    "Hider",
    "MaskShape",
    "Masker",
    "RedactionMode",
    "RedactionSettings",
    "Registry",
    "redact_faces",
    "redact_frame",
]
