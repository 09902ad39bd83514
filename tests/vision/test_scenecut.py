"""Scene-cut detection: cuts are found, pans and zooms are not cuts."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared_data
from tests.scene_clips import cut_frames, face_scene, moving_frames
from veil.vision.scenecut import SceneCutDetector, SceneCutSettings


def cuts_in(frames: list[np.ndarray], settings: SceneCutSettings | None = None) -> list[int]:
    detector = SceneCutDetector(settings)
    return [i for i, frame in enumerate(frames) if detector.is_cut(frame)]


def test_a_hard_cut_and_the_first_frame_are_cuts() -> None:
    assert cuts_in(cut_frames(12, cut=6)) == [0, 6]


@pytest.mark.parametrize("kind", ["pan", "zoom"])
@pytest.mark.parametrize("photo", ["coffee", "astronaut", "chelsea", "rocket"])
def test_fast_pans_and_zooms_are_not_cuts(kind: str, photo: str) -> None:
    assert cuts_in(moving_frames(kind, name=photo)) == [0]


def test_a_cut_back_to_the_same_picture_size_but_other_content_counts_each_time() -> None:
    frames = cut_frames(6, cut=3) + cut_frames(6, cut=3)
    assert cuts_in(frames) == [0, 3, 6, 9]


def test_a_change_of_picture_size_is_a_cut_and_reset_forgets() -> None:
    detector = SceneCutDetector()
    small, large = np.zeros((90, 160, 3), np.uint8), np.zeros((180, 320, 3), np.uint8)
    assert [detector.is_cut(f) for f in (small, small, large)] == [True, False, True]
    detector.reset()
    assert detector.is_cut(large)


def test_grey_frames_are_handled() -> None:
    grey = [f[:, :, 1].copy() for f in cut_frames(8, cut=4)]
    assert cuts_in(grey) == [0, 4]


def test_real_clips_cuts_found_and_no_false_ones() -> None:
    """The Hamilton clip's three camera cuts (checked by eye) and no cut in the video call."""
    av = pytest.importorskip("av")
    videos = shared_data("faces", "videos")

    def cuts(name: str) -> list[int]:
        detector = SceneCutDetector()
        with av.open(str(videos / name)) as container:
            return [
                i
                for i, frame in enumerate(container.decode(video=0))
                if detector.is_cut(frame.to_ndarray(format="bgr24"))
            ]

    assert cuts("hamilton_clip_640x360.mp4") == [0, 20, 82, 211]
    assert cuts("videocall_1280x720.mp4") == [0]
    assert cuts("egoblur_selfie_608x1080.mp4") == [0]


def test_a_cut_to_a_picture_of_the_same_tones_elsewhere_is_a_cut() -> None:
    """The astronaut scene, then its mirror image: a whole-picture histogram would not change."""
    scene = face_scene()
    mirror = np.ascontiguousarray(scene[:, ::-1])
    assert cuts_in([scene.copy() for _ in range(3)] + [mirror.copy() for _ in range(3)]) == [0, 3]
