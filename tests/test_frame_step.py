"""Files (``veil blur``) and live streams (``veil stream``) run one frame step: same pixels out."""

from __future__ import annotations

import time

import numpy as np
import pytest

from veil.framestep import FrameStep
from veil.pipeline import AnonymizeOptions, Anonymizer
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.vision.detections import Detections
from veil.vision.detectors import DetectorSettings
from veil.vision.policy import FaceDecisions, Frame
from veil.vision.redact import RedactionMode, RedactionSettings
from veil.vision.tracking import FaceTracker, TrackerSettings

W, H = 480, 360
FPS = 25.0
# A face well inside, one scored between 0.15 (the shared default) and 0.3 (the live path's old
# default), one below the threshold, and one partly off the right edge of the frame.
BOXES = np.array(
    [[60, 80, 140, 180], [200, 40, 260, 110], [300, 200, 360, 280], [430, 150, 520, 260]],
    np.float32,
)
SCORES = np.array([0.9, 0.2, 0.1, 0.8], np.float32)


class FixedDetector:
    """Returns the same faces, drifting one pixel a frame, whatever it is shown."""

    name = "fixed"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frame: Frame) -> Detections:
        self.calls += 1
        return Detections(BOXES + self.calls, SCORES.copy())


class KeepFirst:
    """A face policy that keeps the first face and redacts the rest."""

    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        redact = np.ones(len(detections), bool)
        redact[:1] = False
        return FaceDecisions(redact, [None] * len(detections))


def frames(count: int) -> list[Frame]:
    """Textured frames with slow motion (no scene cuts), so blurring changes pixels."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (H, W + count, 3), dtype=np.uint8)
    return [np.ascontiguousarray(base[:, i : i + W]) for i in range(count)]


def file_path(
    source: list[Frame], redaction: RedactionSettings, detect_every: int, policy: KeepFirst | None
) -> list[Frame]:
    options = AnonymizeOptions(redaction=redaction, detect_every=detect_every)
    anonymizer = Anonymizer(options, detector=FixedDetector(), policy=policy)
    tracker = FaceTracker(TrackerSettings())
    out = []
    for index, original in enumerate(source):
        frame = original.copy()
        anonymizer.anonymize_frame(frame, tracker, run_detector=index % detect_every == 0)
        out.append(frame)
    return out


def stream_path(
    source: list[Frame], redaction: RedactionSettings, detect_every: int, policy: KeepFirst | None
) -> list[Frame]:
    settings = RealtimeSettings(
        max_latency=10.0, detect_every=detect_every, max_detect_every=detect_every, adapt=False
    )
    redactor = RealtimeRedactor(
        FixedDetector(),
        redaction=redaction,
        tracking=TrackerSettings(),
        policy=policy,
        settings=settings,
    )
    out = []
    try:
        for index, original in enumerate(source):
            frame = original.copy()
            outcome = redactor.process(frame, index / FPS, time.monotonic())
            assert outcome.blanked is None
            out.append(frame)
    finally:
        redactor.close()
    return out


@pytest.mark.parametrize("mode", [RedactionMode.BLUR, RedactionMode.SOLID, RedactionMode.PIXELATE])
@pytest.mark.parametrize("detect_every", [1, 2])
def test_stream_and_file_paths_redact_identically(mode: RedactionMode, detect_every: int) -> None:
    source = frames(6)
    redaction = RedactionSettings(mode=mode)
    from_file = file_path(source, redaction, detect_every, None)
    from_stream = stream_path(source, redaction, detect_every, None)
    for index, (a, b, original) in enumerate(zip(from_file, from_stream, source, strict=True)):
        assert not np.array_equal(a, original), f"frame {index} was not redacted"
        assert np.array_equal(a, b), f"frame {index} differs between the file and stream paths"


def test_the_face_policy_reaches_both_paths_the_same_way() -> None:
    source = frames(4)
    redaction = RedactionSettings(mode=RedactionMode.SOLID)
    from_file = file_path(source, redaction, 1, KeepFirst())
    from_stream = stream_path(source, redaction, 1, KeepFirst())
    for a, b in zip(from_file, from_stream, strict=True):
        assert np.array_equal(a, b)
    kept = (slice(100, 170), slice(80, 130))  # inside the first face, which the policy keeps
    assert np.array_equal(from_stream[0][kept], source[0][kept])


def test_the_threshold_is_the_shared_detector_default() -> None:
    redactor = RealtimeRedactor(FixedDetector())
    try:
        assert redactor.step.threshold == DetectorSettings().threshold == 0.15
    finally:
        redactor.close()
    frame = frames(1)[0]
    result = FrameStep().run(frame.copy(), FixedDetector())
    assert result.faces.scores.tolist() == pytest.approx([0.9, 0.2, 0.8])  # 0.1 is dropped once


def test_a_detector_answering_garbage_blanks_the_frame() -> None:
    class Garbage:
        name = "garbage"

        def detect(self, frame: Frame) -> object:
            return [(1, 2, 3, 4)]

    frame = frames(1)[0].copy()
    result = FrameStep().run(frame, Garbage())  # type: ignore[arg-type]
    assert result.blanked and not frame.any()
