"""Live: the first frame of a new scene is always detected on, never carried by old tracks."""

from __future__ import annotations

import time

from tests.scene_clips import SceneOracle, cut_frames, face_shown, moving_frames
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.vision.redact import RedactionMode, RedactionSettings

SOLID = RedactionSettings(mode=RedactionMode.SOLID)
FIXED = RealtimeSettings(detect_every=4, max_detect_every=4, adapt=False)


def test_a_cut_between_scheduled_detections_is_detected_live() -> None:
    frames = cut_frames(12, cut=6)  # detections are due on frames 0, 4 and 8
    assert face_shown(frames[6])
    detector = SceneOracle()
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=FIXED)
    outcomes = [redactor.process(f, i / 25, time.monotonic()) for i, f in enumerate(frames)]
    redactor.close()
    assert [i for i, f in enumerate(frames[6:], start=6) if face_shown(f)] == []
    assert outcomes[6].detected and outcomes[6].blanked is None
    # The cut adds a detection; the schedule stays veil blur's (frames 0, 4, 8), so files and
    # live streams detect on the same frames.
    assert [i for i, o in enumerate(outcomes) if o.detected] == [0, 4, 6, 8]


def test_a_cut_while_the_detector_is_busy_blanks_the_frame() -> None:
    redactor = RealtimeRedactor(SceneOracle(), redaction=SOLID, settings=FIXED)
    frames = cut_frames(8, cut=2)
    for i, frame in enumerate(frames[:2]):
        redactor.process(frame, i / 25, time.monotonic())
    # The worker is still busy (a stalled detection): nothing can run on the cut frame.
    redactor.worker.submit = lambda pixels, scale: None  # type: ignore[method-assign]
    outcome = redactor.process(frames[2], 2 / 25, time.monotonic())
    redactor.close()
    assert outcome.blanked is not None and float(frames[2].mean()) == 0.0


def test_live_pans_keep_the_schedule() -> None:
    detector = SceneOracle()
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=FIXED)
    frames = moving_frames("pan", 30)
    outcomes = [redactor.process(f, i / 25, time.monotonic()) for i, f in enumerate(frames)]
    redactor.close()
    assert [i for i, o in enumerate(outcomes) if o.detected] == list(range(0, 30, 4))
