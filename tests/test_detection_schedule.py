"""The one detection schedule of files and streams (veil.detection_schedule): full passes on cuts,
on faces no track holds and once in every window; regional passes between, where they look."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.scene_clips import cat_scene, face_scene, small_face_frames, write_clip
from tests.vision.astronaut import ASTRONAUT_FACE
from veil.detection_schedule import DetectionSchedule
from veil.errors import ConfigError
from veil.framestep import FrameStep
from veil.vision.detections import Detections, box_iou
from veil.vision.policy import Frame

FACE = Detections(np.array([[100, 40, 150, 100]], np.float32), np.array([0.9], np.float32))


def plans(schedule: DetectionSchedule, frames: list[Frame], tracked: Detections | None) -> str:
    """One letter per frame: F full pass, R regional pass, . no detection."""
    letters = []
    for index, frame in enumerate(frames):
        plan = schedule.plan(index, frame, tracked)
        letters.append("F" if plan.full else "R" if plan.detect else ".")
    return "".join(letters)


def test_one_full_pass_in_every_window_and_regional_passes_between() -> None:
    still = [face_scene()] * 36
    assert plans(DetectionSchedule(2, 16), still, FACE) == "F.R.R.R.R.R.R.R." * 2 + "F.R."
    assert plans(DetectionSchedule(2, 1), still, FACE) == "F." * 18  # full passes only
    assert plans(DetectionSchedule(2, 16), still, None) == "F." * 18  # no tracker: all full


def test_a_cut_gets_a_full_pass_even_between_scheduled_frames() -> None:
    frames = [cat_scene()] * 7 + [face_scene()] * 5
    assert plans(DetectionSchedule(2, 16), frames, FACE) == "F.R.R.RFR.R."


def test_faces_no_track_holds_get_a_full_pass() -> None:
    schedule = DetectionSchedule(2, 16)
    frame = face_scene()
    assert schedule.plan(0, frame, FACE).full
    assert schedule.plan(2, frame, FACE).regions is not None
    assert schedule.plan(3, frame, FACE, unprotected=True).full  # the last detection failed
    assert schedule.plan(4, frame, FACE, regional=False).full  # a degraded stream


def test_windows_count_from_the_start_so_a_chunk_plans_as_the_whole_file() -> None:
    still = [face_scene()] * 40
    whole = plans(DetectionSchedule(2, 16), still, FACE)
    chunk = DetectionSchedule(2, 16)  # a chunk whose warm-up starts at frame 22
    letters = []
    for index in range(22, 40):
        plan = chunk.plan(index, still[index], FACE)
        letters.append("F" if plan.full else "R" if plan.detect else ".")
    assert "".join(letters) == "F.R.R.R.R.F.R.R.R."  # its own first pass is full
    assert "".join(letters)[10:] == whole[32:]  # from the next window on, the same passes


def test_nothing_tracked_and_nothing_moved_is_a_pass_with_nothing_to_look_at() -> None:
    schedule = DetectionSchedule(2, 16)
    frame = face_scene()
    assert schedule.plan(0, frame, Detections.empty()).full
    plan = schedule.plan(2, frame.copy(), Detections.empty())
    assert plan.detect and plan.regions == ()

    class Counting:
        name = "counting"
        calls = 0

        def detect(self, picture: Frame) -> Detections:
            self.calls += 1
            return Detections.empty()

    detector = Counting()
    FrameStep().run(frame.copy(), detector, None, regions=plan.regions)
    assert detector.calls == 0  # no detector run for an empty plan


def test_motion_on_a_skipped_frame_is_looked_at_on_the_next_pass() -> None:
    schedule = DetectionSchedule(2, 16)
    frame = np.full((240, 320, 3), 90, np.uint8)
    schedule.plan(0, frame, Detections.empty())
    moved = frame.copy()
    moved[130:190, 200:260] = 230  # someone steps in on frame 1, which is not detected on
    assert not schedule.plan(1, moved, Detections.empty()).detect
    plan = schedule.plan(2, moved.copy(), Detections.empty())  # no change since frame 1
    assert plan.regions is not None and len(plan.regions) == 1
    region = plan.regions[0]
    assert region.x0 <= 200 and region.y0 <= 130 and region.x1 >= 260 and region.y1 >= 190


def test_bad_intervals_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        DetectionSchedule(2, 0)


def test_regional_passes_hide_a_moving_face_in_every_frame(tmp_path: Path) -> None:
    """End to end with CenterFace: passes between the full ones are regional, on small
    canvases, and the astronaut's face is masked in every frame of the output."""
    from veil.pipeline import AnonymizeOptions, Anonymizer, FrameReport
    from veil.vision.detectors import get_detector

    source = write_clip(tmp_path / "in.mp4", small_face_frames(32))
    real = get_detector("centerface")
    shapes: list[tuple[int, ...]] = []

    class Recording:
        name = "recording"

        def detect(self, picture: Frame) -> Detections:
            shapes.append(picture.shape)
            return real.detect(picture)

    reports: list[FrameReport] = []
    Anonymizer(AnonymizeOptions(), detector=Recording(), observer=reports.append).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    assert shapes.count((540, 960, 3)) == 2 and len(shapes) == 16  # full passes on 0 and 16
    assert all(max(s) <= 512 for s in shapes if s != (540, 960, 3))  # the others: canvases
    for report in reports:  # the face, drifting 2 px a frame, is found and masked in each
        truth = ASTRONAUT_FACE * 180 / 512 + np.array([300 + 2 * report.index, 200] * 2)
        masked = report.faces.boxes[report.decisions.redact]
        assert not report.blanked and box_iou(masked, truth).max() > 0.5, report.index
