"""The realtime redactor fails closed: stalled, crashing and slow detectors, corrupt and late frames."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from tests.stream.stream_helpers import canvas, face_center, face_hidden, face_visible
from veil.errors import ConfigError
from veil.stream.degrade import DEGRADATION_ORDER
from veil.stream.realtime import BlankReason, Degrader, RealtimeRedactor, RealtimeSettings
from veil.vision.detections import Detections
from veil.vision.redact import RedactionMode, RedactionSettings

W, H = 320, 240
SOLID = RedactionSettings(mode=RedactionMode.SOLID)


def face_box(frame: np.ndarray) -> Detections:
    """An oracle detector: where the face really is (found from the frame's bright square)."""
    columns = np.where(frame[H // 2].mean(axis=1) != 40)[0]
    x = int(columns[0]) if len(columns) else 0
    box = np.array([[x + 180 * H / 512, 76 * H / 512, x + 265 * H / 512, 166 * H / 512]])
    return Detections(box.astype(np.float32), np.array([0.9], np.float32))


class Oracle:
    name = "oracle"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frame: np.ndarray) -> Detections:
        self.calls += 1
        scale = frame.shape[0] / H  # the redactor may hand a downscaled copy
        return face_box(np.asarray(cv2.resize(frame, (W, H)), np.uint8)).scaled(scale)


class Stalling(Oracle):
    """Answers the first ``good`` calls, then hangs until released."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good
        self.release = threading.Event()

    def detect(self, frame: np.ndarray) -> Detections:
        if self.calls >= self.good:
            self.calls += 1
            self.release.wait(30)
        return super().detect(frame)


class Crashing(Oracle):
    """Raises on calls listed in ``bad`` (0-based)."""

    def __init__(self, bad: set[int]) -> None:
        super().__init__()
        self.bad = bad

    def detect(self, frame: np.ndarray) -> Detections:
        call = self.calls
        self.calls += 1
        if call in self.bad:
            raise RuntimeError("detector crashed")
        return face_box(frame)


class Slow(Oracle):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def detect(self, frame: np.ndarray) -> Detections:
        time.sleep(self.seconds)
        return super().detect(frame)


def play(
    redactor: RealtimeRedactor, frames: int, fps: float = 25.0, drift: bool = True
) -> list[tuple[np.ndarray, object, tuple[int, int]]]:
    """Feed frames at ``fps`` as a live source would; return (output, outcome, face centre)."""
    out = []
    start = time.monotonic()
    for i in range(frames):
        due = start + i / fps
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        pixels = canvas(i, frames, W, H, drift)
        arrival = time.monotonic()
        outcome = redactor.process(pixels, i / fps, arrival)
        out.append((pixels, outcome, face_center(i, frames, W, H, drift)))
    return out


def assert_no_face_leaks(results: list[tuple[np.ndarray, object, tuple[int, int]]]) -> None:
    for i, (pixels, _, center) in enumerate(results):
        assert face_hidden(pixels, center), f"frame {i}: face visible"


def test_healthy_detector_redacts_every_face_without_blanking() -> None:
    full_passes = RealtimeSettings(full_every=1)  # the oracle reads whole frames
    redactor = RealtimeRedactor(Oracle(), redaction=SOLID, settings=full_passes)
    results = play(redactor, 30)
    assert_no_face_leaks(results)
    assert all(o.blanked is None and o.faces_redacted == 1 for _, o, _ in results)  # type: ignore[attr-defined]
    redactor.close()


def test_the_check_would_see_a_raw_face() -> None:
    pixels = canvas(0, 1, W, H, False)
    assert face_visible(pixels, face_center(0, 1, W, H, False))
    assert not face_hidden(pixels, face_center(0, 1, W, H, False))


def test_stalled_detector_blanks_frames_within_the_latency_budget() -> None:
    detector = Stalling(good=5)
    settings = RealtimeSettings(max_latency=0.15, max_track_seconds=0.2, adapt=False)
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    started = time.monotonic()
    results = play(redactor, 40)
    elapsed = time.monotonic() - started
    detector.release.set()
    redactor.close()
    assert_no_face_leaks(results)
    late = [o for _, o, _ in results if o.blanked is BlankReason.LATE]  # type: ignore[attr-defined]
    assert len(late) >= 25  # everything after the stall plus the tracking allowance
    assert all(o.blanked is None for _, o, _ in results[:5])  # type: ignore[attr-defined]
    # Real time held: 40 frames at 25 fps take 1.6 s; a blocked pipeline would take 30 s.
    assert elapsed < 1.6 + 0.5


def test_crashing_detector_blanks_until_it_answers_again() -> None:
    detector = Crashing(bad={3, 4, 5})
    settings = RealtimeSettings(detect_every=2, max_detect_every=2, adapt=False)
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    results = play(redactor, 20)
    redactor.close()
    assert_no_face_leaks(results)
    reasons = [o.blanked for _, o, _ in results]  # type: ignore[attr-defined]
    assert reasons.count(BlankReason.DETECTOR) == 3
    first_bad = reasons.index(BlankReason.DETECTOR)
    # After a crash no frame is carried by stale tracks: every frame is detected until one works.
    assert reasons[first_bad : first_bad + 3] == [BlankReason.DETECTOR] * 3
    assert reasons[first_bad + 3] is None and results[first_bad + 3][1].detected  # type: ignore[attr-defined]


def test_detector_returning_garbage_blanks() -> None:
    class Garbage(Oracle):
        def detect(self, frame: np.ndarray) -> Detections:
            return [[1, 2, 3, 4]]  # type: ignore[return-value]

    redactor = RealtimeRedactor(Garbage(), redaction=SOLID)
    results = play(redactor, 5)
    redactor.close()
    assert all(o.blanked is BlankReason.DETECTOR for _, o, _ in results)  # type: ignore[attr-defined]
    assert all(float(p.mean()) == 0.0 for p, _, _ in results)


def test_corrupt_and_late_frames_are_blanked() -> None:
    redactor = RealtimeRedactor(Oracle(), redaction=SOLID)
    pixels = canvas(0, 1, W, H, False)
    assert (
        redactor.process(pixels, 0.0, time.monotonic(), corrupt=True).blanked is BlankReason.CORRUPT
    )
    assert float(pixels.mean()) == 0.0
    pixels = canvas(0, 1, W, H, False)
    old = time.monotonic() - 2.0  # decoded two seconds ago: past the 0.5 s budget
    assert redactor.process(pixels, 0.04, old).blanked is BlankReason.LATE
    assert float(pixels.mean()) == 0.0
    redactor.close()


def test_tracking_between_detections_keeps_a_moving_face_covered() -> None:
    detector = Oracle()
    settings = RealtimeSettings(detect_every=3, max_detect_every=3, adapt=False)
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    results = play(redactor, 30)
    redactor.close()
    assert_no_face_leaks(results)
    assert detector.calls <= 11
    assert sum(1 for _, o, _ in results if not o.detected and o.blanked is None) >= 18  # type: ignore[attr-defined]


def test_slow_detector_degrades_interval_and_keeps_faces_hidden() -> None:
    detector = Slow(0.06)  # 1.5 frame times at 25 fps
    settings = RealtimeSettings(max_latency=0.3, max_detect_every=4)
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    redactor.degrader.settle = 0.2
    results = play(redactor, 75)
    redactor.close()
    assert_no_face_leaks(results)
    assert redactor.degrader.detect_every >= 3  # 0.06 s needs 3 frame times at 70% load
    blanked = sum(1 for _, o, _ in results if o.blanked is not None)  # type: ignore[attr-defined]
    assert blanked < len(results) // 4  # degraded, not given up


def test_detector_too_slow_for_any_interval_lowers_the_resolution() -> None:
    detector = Slow(0.1)
    settings = RealtimeSettings(max_latency=0.3, max_detect_every=2, sides=(None, 160, 120))
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    redactor.degrader.settle = 0.2
    assert redactor.degrader.side is None  # starts at full size, as veil blur detects
    results = play(redactor, 50)
    redactor.close()
    assert_no_face_leaks(results)
    assert redactor.degrader.detect_every == 2 and redactor.degrader.side == 120
    assert redactor.cautious  # the faces found on small images are redacted conservatively


def test_degrader_climbs_back_when_detection_is_cheap() -> None:
    settings = RealtimeSettings(max_detect_every=3, sides=(None, 640, 320))
    degrader = Degrader(settings, settle=0.0)
    for t in range(10):
        degrader.observe(0.2, 0.04, float(t))
    assert degrader.detect_every == 3 and degrader.side == 320
    for t in range(10, 30):
        degrader.observe(0.001, 0.04, float(t) * 10)
    assert degrader.detect_every == 1 and degrader.side is None
    assert not any(degrader.sheds(rung) for rung in DEGRADATION_ORDER)  # all the way back


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError):
        RealtimeSettings(max_latency=0)
    with pytest.raises(ConfigError):
        RealtimeSettings(sides=())


def test_degrader_never_tracks_longer_than_the_tracker_may_carry_faces() -> None:
    settings = RealtimeSettings(max_detect_every=8, max_track_seconds=0.4, sides=(640, 320))
    degrader = Degrader(settings, settle=0.0)
    for t in range(20):
        degrader.observe(2.0, 0.2, float(t))  # a hopeless detector at 5 fps
    assert degrader.detect_every == 3  # frames 0.2 and 0.4 s after a detection are tracked
    assert degrader.side == 320
    fast = Degrader(settings, settle=0.0)
    for t in range(20):
        fast.observe(2.0, 0.02, float(t))  # 50 fps: the interval cap is max_detect_every
    assert fast.detect_every == 8


def test_low_frame_rate_keeps_detecting_instead_of_blanking() -> None:
    """Regression: at 5 fps a slow first detection must not leave every later frame blanked."""
    detector = Slow(0.15)
    redactor = RealtimeRedactor(detector, redaction=SOLID)
    results = play(redactor, 10, fps=5.0)
    redactor.close()
    assert_no_face_leaks(results)
    assert [o.blanked for _, o, _ in results] == [None] * 10  # type: ignore[attr-defined]
    assert detector.calls >= 4
