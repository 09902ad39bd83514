"""Veil: protect faces and personal information.

The public API is re-exported here (loaded on first use, so ``import veil`` stays light);
everything else may change freely.

>>> import veil
>>> veil.anonymize_image("photo.jpg", "photo_anonymized.jpg")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "anonymize_image": "veil.pipeline",
    "anonymize_video": "veil.pipeline",
    "Anonymizer": "veil.pipeline",
    "AnonymizeOptions": "veil.pipeline",
    "ConsentGate": "veil.consent.gate",
    "ConsentRegistry": "veil.consent.registry",
    "Detections": "veil.vision.detections",
    "Event": "veil.ledger.events",
    "FaceDecisions": "veil.vision.policy",
    "FacePolicy": "veil.vision.policy",
    "get_detector": "veil.vision.detectors",
    "Ledger": "veil.ledger",
    "VeilError": "veil.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'veil' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
