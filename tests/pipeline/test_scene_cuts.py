"""Files: the first frame of a new scene is always detected on, whatever ``detect_every``."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from tests.scene_clips import SceneOracle, cut_frames, face_shown, moving_frames, write_clip
from veil.pipeline import AnonymizeOptions, Anonymizer, FrameReport
from veil.vision.redact import RedactionMode, RedactionSettings

SOLID = RedactionSettings(mode=RedactionMode.SOLID)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def test_a_cut_on_a_skipped_frame_is_detected_and_its_face_redacted(tmp_path: Path) -> None:
    # detect_every=4 detects frames 0, 4 and 8: the cut at frame 6 falls between.
    source = write_clip(tmp_path / "cut.mp4", cut_frames(12, cut=6))
    assert face_shown(decoded(source)[6])  # the check would see the raw face
    reports: list[FrameReport] = []
    # Full passes only: the oracle answers for whole frames (regional passes: test_schedule.py).
    options = AnonymizeOptions(detect_every=4, full_every=1, redaction=SOLID)
    detector = SceneOracle()
    Anonymizer(options, detector=detector, observer=reports.append).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    frames = decoded(tmp_path / "out.mp4")
    assert len(frames) == 12
    assert [i for i, f in enumerate(frames[6:], start=6) if face_shown(f)] == []
    assert all(r.decisions.redact.sum() == 1 for r in reports[6:])
    assert detector.calls == 4  # frames 0, 4, 6 (the cut) and 8


def test_pans_and_zooms_keep_the_schedule(tmp_path: Path) -> None:
    # A fast pan (a frame width in 14 frames, there and back), a cut at frame 30, a zoom.
    frames = moving_frames("pan", 30) + moving_frames("zoom", 16, name="rocket")
    source = write_clip(tmp_path / "moving.mp4", frames)
    detector = SceneOracle()
    options = AnonymizeOptions(detect_every=4, full_every=1)  # the oracle reads whole frames
    Anonymizer(options, detector=detector).anonymize_video(source, tmp_path / "out.mp4")
    assert detector.calls == 12 + 1  # frames 0, 4, ..., 44, and the cut between the shots
