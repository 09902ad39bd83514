"""Degradation costs protection last: everything else is shed before the detection resolution
drops, and faces found on smaller images are redacted conservatively."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np

from tests.stream.stream_helpers import make_clip
from veil.media.streams import describe_source
from veil.stream.camera import Camera, CameraConfig
from veil.stream.degrade import DEGRADATION_ORDER, PROTECTIVE, Degrader, Shed, SinkShedding
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.vision.detections import Detections
from veil.vision.redact import RedactionMode, RedactionSettings

SOLID = RedactionSettings(mode=RedactionMode.SOLID)
LADDER = RealtimeSettings(max_detect_every=3, sides=(None, 640, 320))
FRAME = 0.04  # 25 fps


def state(degrader: Degrader) -> tuple[bool, bool, int, int | None]:
    return (
        degrader.sheds(Shed.PREVIEW),
        degrader.sheds(Shed.RESTREAM),
        degrader.detect_every,
        degrader.side,
    )


def test_the_order_is_one_list_with_protection_last() -> None:
    assert DEGRADATION_ORDER == (Shed.PREVIEW, Shed.RESTREAM, Shed.INTERVAL, Shed.RESOLUTION)
    assert DEGRADATION_ORDER[-1] is Shed.RESOLUTION
    cheap = [rung for rung in DEGRADATION_ORDER if rung not in PROTECTIVE]
    assert DEGRADATION_ORDER[: len(cheap)] == tuple(cheap)  # nothing protective before them


def test_an_overloaded_detector_sheds_everything_else_before_the_resolution() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    states = [state(degrader)]
    for t in range(12):
        degrader.observe(1.0, FRAME, float(t))  # a hopeless detector: 25 frame times a run
        states.append(state(degrader))
    assert degrader.taken == [
        Shed.PREVIEW,
        Shed.RESTREAM,
        Shed.INTERVAL,  # straight to the longest interval the measured time needs
        Shed.RESOLUTION,
        Shed.RESOLUTION,
    ]
    assert states[-1] == (True, True, 3, 320)
    for before, after in itertools.pairwise(states):
        if after[3] != before[3]:  # the resolution dropped here: nothing else was left
            assert before[:3] == (True, True, 3), (before, after)


def test_late_frames_shed_the_same_way_one_step_at_a_time() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    for t in range(12):
        degrader.press(float(t), FRAME)  # frames leave late, whatever the cause
    assert degrader.taken == [
        Shed.PREVIEW,
        Shed.RESTREAM,
        Shed.INTERVAL,
        Shed.INTERVAL,
        Shed.RESOLUTION,
        Shed.RESOLUTION,
    ]


def test_only_the_protective_rungs_wait_for_the_detector_to_settle() -> None:
    degrader = Degrader(LADDER, settle=1.0)
    taken_at: list[tuple[float, Shed]] = []
    for i in range(100):  # four seconds of frames, each detection far too slow
        now = i * FRAME
        before = len(degrader.taken)
        degrader.observe(1.0, FRAME, now)
        taken_at += [(now, rung) for rung in degrader.taken[before:]]
    # Preview and restream go at once, the interval next, a smaller image only a second later.
    assert [rung for _, rung in taken_at[:3]] == [Shed.PREVIEW, Shed.RESTREAM, Shed.INTERVAL]
    assert taken_at[2][0] <= 2 * FRAME + 1e-9
    first_smaller = next(t for t, rung in taken_at if rung is Shed.RESOLUTION)
    assert first_smaller >= taken_at[2][0] + 1.0 - 1e-9


def test_climbing_back_restores_the_resolution_first_and_the_preview_last() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    for t in range(12):
        degrader.observe(1.0, FRAME, float(t))
    states = [state(degrader)]
    for t in range(12, 40):
        degrader.observe(0.001, FRAME, float(t) * 10)
        if state(degrader) != states[-1]:
            states.append(state(degrader))
    assert states == [
        (True, True, 3, 320),
        (True, True, 3, 640),
        (True, True, 3, None),
        (True, True, 2, None),
        (True, True, 1, None),
        (True, False, 1, None),
        (False, False, 1, None),
    ]


def test_a_camera_without_preview_or_restream_goes_to_the_interval_first() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    degrader.fit(preview=False, restream=False, paced=True)
    degrader.observe(1.0, FRAME, 0.0)
    assert degrader.taken == [Shed.INTERVAL]


def test_a_file_read_as_fast_as_it_is_processed_never_degrades() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    degrader.fit(preview=True, restream=True, paced=False)
    for t in range(10):
        degrader.observe(1.0, FRAME, float(t))
        degrader.press(float(t), FRAME)
    assert degrader.taken == [] and state(degrader) == (False, False, 1, None)


def test_the_camera_fits_the_ladder_to_its_sinks(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=4, audio=False)
    for realtime, preview, order in (
        (True, True, (Shed.PREVIEW, Shed.INTERVAL, Shed.RESOLUTION)),
        (True, False, (Shed.INTERVAL, Shed.RESOLUTION)),
    ):
        redactor = RealtimeRedactor(Oracle())
        config = CameraConfig("c", describe_source(str(clip), realtime=realtime), preview=preview)
        Camera(config, redactor)
        redactor.close()
        assert redactor.degrader.order == order and redactor.degrader.adapt
    redactor = RealtimeRedactor(Oracle())
    Camera(CameraConfig("c", describe_source(str(clip), realtime=False)), redactor)
    redactor.close()
    assert not redactor.degrader.adapt  # --fast: no clock to keep


def test_shed_sinks_get_fewer_frames_and_the_recording_all() -> None:
    degrader = Degrader(LADDER, settle=0.0)
    shedding = SinkShedding(degrader)
    stamps = [i * FRAME for i in range(50)]  # two seconds
    assert sum(shedding.preview_due(t) for t in stamps) == 50
    assert sum(shedding.restream_due() for _ in stamps) == 50
    degrader.press(0.0, FRAME)
    degrader.press(0.0, FRAME)
    assert degrader.sheds(Shed.PREVIEW) and degrader.sheds(Shed.RESTREAM)
    assert sum(shedding.preview_due(2.0 + t) for t in stamps) == 2  # once a second
    assert sum(shedding.restream_due() for _ in stamps) == 25  # every other frame


# -- the redactor: full size first, conservative when smaller ---------------------------------

W, H = 640, 360
BOX = (250.0, 100.0, 330.0, 200.0)


class Oracle:
    """Finds one face at :data:`BOX` (in the frame it is shown) while ``visible``; records sizes."""

    name = "oracle"

    def __init__(self, found: int = 10**6) -> None:
        self.found = found  # calls that find the face; later calls find nothing
        self.sizes: list[tuple[int, int]] = []

    def detect(self, frame: np.ndarray) -> Detections:
        self.sizes.append((frame.shape[1], frame.shape[0]))
        if len(self.sizes) > self.found:
            return Detections.empty()
        scale = frame.shape[1] / W
        return Detections(np.array([BOX], np.float32) * scale, np.array([0.9], np.float32))


def masked_frames(redactor: RealtimeRedactor, frames: int) -> list[int]:
    """Black pixels of each output frame (a grey picture: only masks are black)."""
    counts = []
    for i in range(frames):
        pixels = np.full((H, W, 3), 128, np.uint8)
        outcome = redactor.process(pixels, i / 25, time.monotonic())
        assert outcome.blanked is None
        counts.append(int((pixels.max(axis=2) == 0).sum()))
    redactor.close()
    return counts


def redactor_at(side: int | None, detector: Oracle) -> RealtimeRedactor:
    settings = RealtimeSettings(detect_every=1, sides=(None, 320), start_side=side)
    redactor = RealtimeRedactor(detector, redaction=SOLID, settings=settings)
    redactor.degrader.adapt = False  # hold the size this test sets
    return redactor


def test_detection_starts_at_full_size() -> None:
    detector = Oracle()
    redactor = RealtimeRedactor(detector, redaction=SOLID)
    redactor.process(np.full((720, 1280, 3), 128, np.uint8), 0.0, time.monotonic())
    redactor.close()
    assert detector.sizes == [(1280, 720)]  # the size veil blur detects at, not a smaller one


def test_faces_found_on_smaller_images_get_larger_masks() -> None:
    full = masked_frames(redactor_at(None, Oracle()), 1)[0]
    small_detector = Oracle()
    small = masked_frames(redactor_at(320, small_detector), 1)[0]
    assert small_detector.sizes == [(320, 180)]
    assert full > 2000
    assert small >= 1.25**2 * full * 0.95  # masks 1.25x wider and taller


def test_faces_found_on_smaller_images_are_held_longer() -> None:
    # The face is found twice, then the detector stops finding it: the track holds it for
    # max_misses detections (8 by default), twice as many after a downscaled detection.
    full = masked_frames(redactor_at(None, Oracle(found=2)), 30)
    small = masked_frames(redactor_at(320, Oracle(found=2)), 30)
    held_full = sum(1 for count in full[2:] if count > 0)
    held_small = sum(1 for count in small[2:] if count > 0)
    assert held_full == 8
    assert held_small == 16
