"""Multi-scale merging, seam-safe tiling and quality presets (scripted fake detectors)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from veil.errors import ConfigError
from veil.vision.detections import Detections
from veil.vision.detectors.multiscale import MultiScaleDetector, ScalePass
from veil.vision.quality import PRESETS, resolve_quality, with_quality


class Painted:
    """Finds faces painted as white squares, but only those of ``low``..``high`` px; records shapes."""

    name = "painted"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high
        self.shapes: list[tuple[int, ...]] = []

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        self.shapes.append(frame.shape)
        import cv2

        mask = (frame[:, :, 0] > 200).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes = []
        for x, y, w, h, _a in stats[1:n]:
            if self.low <= min(w, h) < self.high:
                boxes.append([x, y, x + w, y + h])
        return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.ones(len(boxes)))


def _frame(h: int, w: int, squares: list[tuple[int, int, int]]) -> npt.NDArray[np.uint8]:
    frame = np.zeros((h, w, 3), np.uint8)
    for x, y, s in squares:
        frame[y : y + s, x : x + s] = 255
    return frame


def test_merge_keeps_large_native_face_and_small_upscaled_face() -> None:
    frame = _frame(400, 600, [(50, 50, 120), (400, 300, 10)])
    # Sees only faces of 16..200 px: the 10 px face is found only at 2x.
    detector = MultiScaleDetector(Painted(16, 200), (ScalePass(2.0, 32.0),), tile=256)
    found = detector.detect(frame)
    sizes = sorted(float(s) for s in found.widths)
    assert len(found) == 2
    assert sizes[0] == pytest.approx(10, abs=1) and sizes[1] == pytest.approx(120, abs=1)


def test_face_on_tile_seam_is_found_once_whole() -> None:
    frame = _frame(300, 300, [(120, 120, 20)])  # straddles the tiles of 128 original px
    detector = MultiScaleDetector(Painted(0, 1000), (ScalePass(2.0, 32.0),), tile=256)
    found = detector._upscaled(frame, ScalePass(2.0, 32.0))
    whole = found[(found.widths > 18) & (found.heights > 18)]
    assert len(found.nms(0.3)) == 1 and len(whole) >= 1


def test_thorough_bounded_on_50_megapixel_photo() -> None:
    frame = np.zeros((5000, 10000, 3), np.uint8)
    base = Painted(0, 1)
    with_quality(base, "thorough").detect(frame)
    upscaled = [s for s in base.shapes if s != frame.shape]
    assert upscaled and max(s[0] * s[1] for s in upscaled) <= 1100 * 1100


def test_presets_resolve_to_documented_settings() -> None:
    assert resolve_quality("fast").passes == ()
    assert resolve_quality("balanced").passes == (ScalePass(2.0, 32.0),)
    assert resolve_quality("thorough").flip_native
    assert set(PRESETS) == {"fast", "balanced", "thorough"}
    base = Painted(0, 1)
    assert with_quality(base, "fast") is base
    with pytest.raises(ConfigError):
        resolve_quality("best")


def test_photo_and_video_defaults_and_explicit_presets() -> None:
    from veil.pipeline import AnonymizeOptions
    from veil.vision.quality import PHOTO_QUALITY, photo_and_video

    assert photo_and_video(None) == (PHOTO_QUALITY, "fast")
    assert photo_and_video("thorough") == ("thorough", "thorough")
    with pytest.raises(ConfigError, match="unknown quality"):
        AnonymizeOptions(quality="best")


class TilesOnly(Painted):
    """Painted on frames of at most a 1024 px tile; larger (native) frames: nothing, no memory."""

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        if frame.shape[0] * frame.shape[1] > 1024 * 1024:
            self.shapes.append(frame.shape)
            return Detections.empty()
        return super().detect(frame)


def test_memory_stays_bounded_on_a_50_megapixel_photo_at_thorough() -> None:
    import tracemalloc

    frame = np.full((5800, 8660, 3), 40, np.uint8)  # 50.2 megapixels, 151 MB
    frame[3000:3010, 4000:4010] = 255  # one 10 px face, found only upscaled
    painted = TilesOnly(16, 200)
    detector = with_quality(painted, "thorough")
    tracemalloc.start()
    try:
        found = detector.detect(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1
    # The flipped native pass copies the frame once; the 2x pass never holds more than a tile
    # (an untiled 2x pass would need 4 frames, 600 MB).
    assert peak < 1.3 * frame.nbytes
    assert max(s[0] * s[1] for s in painted.shapes[2:]) <= 1024 * 1024


class Scripted:
    """Returns fixed boxes: ``native`` on the first call, ``others`` (frame pixels) after it."""

    name = "scripted"

    def __init__(self, native: list[list[float]], others: list[list[float]]) -> None:
        self.native, self.others, self.calls = native, others, 0

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        self.calls += 1
        boxes = self.native if self.calls == 1 else self.others
        scores = [0.3] * len(boxes) if self.calls == 1 else [0.99] * len(boxes)
        return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores))


def test_native_detections_are_never_replaced_by_other_passes() -> None:
    # The flipped pass (same frame size) finds the native face again, shifted and more
    # confidently, plus a face native missed: the native box stays exactly, the new face joins.
    frame = np.zeros((200, 200, 3), np.uint8)
    base = Scripted([[50, 50, 110, 110]], [[90, 40, 150, 100], [10, 150, 40, 180]])
    found = MultiScaleDetector(base, flip_native=True).detect(frame)
    boxes = sorted(found.boxes.tolist())
    # flipped boxes come back mirrored: x -> 200 - x
    assert boxes == [[50, 50, 110, 110], [160, 150, 190, 180]]
