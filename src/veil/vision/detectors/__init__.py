"""Face detectors behind one protocol, found by name.

A detector takes a BGR ``uint8`` frame and returns :class:`~veil.vision.detections.Detections`
in that frame's pixel coordinates. ``get_detector("centerface")`` builds one; ``DETECTORS`` lists
the names. Implementations live one per module and are imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from veil.errors import ConfigError
from veil.vision.detections import Detections


class Detector(Protocol):
    """Finds faces in a frame."""

    name: str

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Return every face found in ``frame`` (BGR, ``[h, w, 3]`` uint8)."""
        ...


@dataclass(frozen=True)
class DetectorSettings:
    """Options every detector understands.

    ``threshold`` is the minimum face score. ``max_side`` caps the longer side of the image the
    network sees (``None``: full resolution); ``tiles`` splits large frames into overlapping tiles
    of about ``max_side`` pixels instead of shrinking them, so small faces stay detectable.
    ``threads`` limits inference threads (``0``: the runtime's default). ``precision`` picks the
    network's arithmetic where a detector offers a choice: ``auto`` (the fastest that finds the
    same faces as ``fp32`` here: ``bf16`` on CPUs that compute it natively), ``fp32``, ``bf16``,
    or ``int8`` (quantized: about twice as fast on CPU, but it misses faces in dark footage).
    """

    threshold: float = 0.15
    max_side: int | None = None
    tiles: bool = False
    threads: int = 0
    precision: str = "auto"


DetectorFactory = Callable[[DetectorSettings], Detector]

DETECTORS: dict[str, str] = {
    "centerface": "veil.vision.detectors.centerface:CenterFaceDetector",
    "dlib-hog": "veil.vision.detectors.dlib_hog:DlibHogDetector",
}
DEFAULT_DETECTOR = "centerface"


def get_detector(
    name: str = DEFAULT_DETECTOR, settings: DetectorSettings | None = None
) -> Detector:
    """Build the detector registered as ``name``."""
    target = DETECTORS.get(name)
    if target is None:
        known = ", ".join(sorted(DETECTORS))
        raise ConfigError(f"unknown detector {name!r} (known: {known})")
    module_name, _, class_name = target.partition(":")
    factory: DetectorFactory = getattr(importlib.import_module(module_name), class_name)
    return factory(settings or DetectorSettings())
