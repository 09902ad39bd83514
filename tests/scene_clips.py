"""Clips with hard cuts, pans and zooms, and a detector that finds the astronaut only where it is.

Scene A is scikit-image's cat (no face); scene B, from frame ``cut`` on, is the astronaut on a
grey canvas. :class:`SceneOracle` reports the astronaut's face box exactly when the frame shows
it, so a frame that is not detected on keeps only what the tracker carries.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from veil.vision.detections import Detections

W, H = 320, 240
FACE = (int(40 + 180 * H / 512), int(76 * H / 512), int(40 + 265 * H / 512), int(166 * H / 512))
FACE_CENTER = ((FACE[0] + FACE[2]) // 2, (FACE[1] + FACE[3]) // 2)


def _data(name: str) -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(getattr(skimage_data, name)()[:, :, ::-1])


@functools.lru_cache(maxsize=1)
def face_scene() -> np.ndarray:
    """The astronaut (face at :data:`FACE`) on a grey canvas."""
    import cv2

    image = np.full((H, W, 3), 40, np.uint8)
    image[:, 40 : 40 + H] = cv2.resize(_data("astronaut"), (H, H))
    return image


@functools.lru_cache(maxsize=1)
def cat_scene() -> np.ndarray:
    """A picture with no face."""
    import cv2

    return np.asarray(cv2.resize(_data("chelsea"), (W, H)), np.uint8)


def cut_frames(frames: int = 12, cut: int = 6) -> list[np.ndarray]:
    """The cat up to ``cut``, the astronaut from ``cut`` on (a hard cut)."""
    return [(cat_scene() if i < cut else face_scene()).copy() for i in range(frames)]


def moving_frames(kind: str, frames: int = 30, name: str = "coffee") -> list[np.ndarray]:
    """A fast pan (a tenth of the picture per frame, there and back) or a zoom, on one photo."""
    import cv2

    photo = _data(name)
    ph, pw = photo.shape[:2]
    widest = min(pw, ph * W / H)
    out = []
    for i in range(frames):
        t = i / (frames - 1)
        if kind == "pan":
            t = 1 - abs(2 * t - 1)
            cw = widest * 0.5
            x, y = (pw - cw) * t, 0.0
        else:
            cw = widest * (1.0 - 0.6 * t)
            x, y = (pw - cw) / 2, (ph - cw * H / W) / 2
        ch = cw * H / W
        crop = photo[int(y) : int(y + ch), int(x) : int(x + cw)]
        out.append(np.asarray(cv2.resize(crop, (W, H)), np.uint8))
    return out


SMALL_FACE_SIZE = (960, 540)  # frames of :func:`small_face_frames`


def small_face_frames(frames: int) -> list[np.ndarray]:
    """A 960x540 grey picture with a 180-px astronaut drifting right, 2 px a frame, from x 300:
    little of the frame moves, so detections between full passes are regional."""
    import cv2

    tile = cv2.resize(_data("astronaut"), (180, 180))
    out = []
    for index in range(frames):
        pixels = np.full((540, 960, 3), 40, np.uint8)
        pixels[200:380, 300 + 2 * index : 480 + 2 * index] = tile
        out.append(pixels)
    return out


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 12) -> Path:
    """Encode ``frames`` (all of one size) as near-lossless H.264."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "bf": "0"}
        for i, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


class SceneOracle:
    """Reports the astronaut's face when (and only when) the frame shows the face scene."""

    name = "scene-oracle"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frame: np.ndarray) -> Detections:
        import cv2

        self.calls += 1
        pixels = np.asarray(cv2.resize(frame, (W, H)), np.float32)
        if float(np.abs(pixels - face_scene()).mean()) > 20:
            return Detections.empty()
        scale = frame.shape[1] / W
        box = np.array([FACE], np.float32) * scale
        return Detections(box, np.array([0.9], np.float32))


def face_shown(frame: np.ndarray) -> bool:
    """Whether the astronaut's face centre is there raw (skin), not under a solid mask."""
    x, y = FACE_CENTER
    return float(frame[y - 4 : y + 4, x - 4 : x + 4].mean()) > 90.0
