"""The MJPEG preview: the latest redacted frame, JPEG-encoded on demand."""

from __future__ import annotations

import threading

import numpy as np

from veil.core.frame import Frame


class PreviewFrame:
    """The latest redacted frame, JPEG-encoded on demand for the MJPEG preview (thread-safe)."""

    def __init__(self, max_width: int = 960, quality: int = 80) -> None:
        self.max_width = max_width
        self.quality = quality
        self._lock = threading.Condition()
        self._pixels: Frame | None = None
        self._version = 0
        self._jpeg: tuple[int, bytes] | None = None

    def update(self, pixels: Frame) -> None:
        """Publish a frame that has already been redacted (it must not change afterwards)."""
        with self._lock:
            self._pixels = pixels
            self._version += 1
            self._lock.notify_all()

    def jpeg(self, after: int = 0, timeout: float = 5.0) -> tuple[int, bytes] | None:
        """Wait for a frame newer than version ``after``; return ``(version, JPEG bytes)``."""
        import cv2

        with self._lock:
            if not self._lock.wait_for(lambda: self._version > after, timeout):
                return None
            version, pixels = self._version, self._pixels
            cached = self._jpeg
        if cached is not None and cached[0] == version:
            return cached
        assert pixels is not None
        h, w = pixels.shape[:2]
        if w > self.max_width:
            pixels = np.asarray(
                cv2.resize(pixels, (self.max_width, round(h * self.max_width / w))), np.uint8
            )
        ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            return None
        result = (version, bytes(data))
        with self._lock:
            self._jpeg = result
        return result
