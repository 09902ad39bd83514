"""dlib's HOG + linear SVM frontal face detector: no weights file, CPU only.

A fallback and a second opinion: lower recall than CenterFace on small or turned faces, but it
needs nothing beyond the ``dlib`` module (``dlib-bin`` wheels).
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from veil.errors import ConfigError, DetectionError
from veil.vision.detections import Detections
from veil.vision.detectors import DetectorSettings

_SCORE_SCALE = 2.0  # dlib's SVM margins, mapped through a logistic to 0..1 scores


class DlibHogDetector:
    """dlib HOG face detector."""

    name = "dlib-hog"

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        try:
            import dlib
        except ImportError as exc:  # pragma: no cover - dlib-bin is a declared extra
            raise ConfigError(
                "the dlib-hog detector needs dlib: pip install 'veil[faces]'"
            ) from exc
        self.settings = settings or DetectorSettings()
        self._detector: Any = dlib.get_frontal_face_detector()
        self._lock = threading.Lock()

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Find frontal faces in a BGR frame (upsampled once, so faces down to ~40 px are seen)."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise DetectionError(f"expected a BGR uint8 frame, got {frame.dtype} {frame.shape}")
        h, w = frame.shape[:2]
        factor = 1.0
        image = frame
        if self.settings.max_side is not None and max(h, w) > self.settings.max_side:
            factor = self.settings.max_side / max(h, w)
            size = (round(w * factor), round(h * factor))
            image = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8)
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        with self._lock:
            rects, margins, _ = self._detector.run(rgb, 1, 0.0)
        if not rects:
            return Detections.empty()
        boxes = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], np.float32)
        scores = 1.0 / (1.0 + np.exp(-_SCORE_SCALE * np.asarray(margins, np.float32)))
        return Detections(boxes, scores).scaled(1 / factor).nms(0.3).clipped(w, h)
