"""When nothing is late, ``veil stream FILE`` redacts every frame exactly as ``veil blur`` does.

Both commands run end to end (subprocesses, the default CenterFace detector) on one clip with a
scene cut on an odd frame between scheduled detections, and record losslessly (``--crf 0``), so
their decoded outputs can be compared pixel for pixel: the same detections on the same frames,
the same tracking and the same masks.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.scene_clips import cat_scene, small_face_frames, write_clip
from tests.stream.stream_helpers import canvas, decode_frames, face_center, face_hidden, run_veil
from veil.stream.recorder import segment_files

FPS = 12


def cut_clip(path: Path, width: int, height: int, before: int, after: int) -> Path:
    """``before`` frames of a picture with no face, then a hard cut (on an odd frame when
    ``before`` is odd) to the astronaut drifting across the frame for ``after`` frames."""
    import av
    import cv2

    cat = np.asarray(cv2.resize(cat_scene(), (width, height)), np.uint8)
    frames = [cat] * before + [canvas(i, after, width, height, True) for i in range(after)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"bf": "0", "crf": "10"}
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def stream_and_blur(
    clip: Path, tmp_path: Path
) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]:
    """``clip`` through ``veil stream --record`` (nothing late) and ``veil blur``, both solid and
    lossless: the stream's summary and both outputs' frames."""
    common = ["--mode", "solid", "--crf", "0"]
    # Nothing is late: the budget is far above a detection's time, even on a loaded machine.
    streamed = run_veil(
        "stream", str(clip), "--fast", "--max-latency", "60", "--record", str(tmp_path / "rec"),
        "--json", *common,
    )  # fmt: skip
    assert streamed.returncode == 0, streamed.stderr
    blurred = run_veil("blur", str(clip), "-o", str(tmp_path / "blur.mp4"), *common)
    assert blurred.returncode == 0, blurred.stderr
    live = [f for path in segment_files(tmp_path / "rec") for f in decode_frames(path)]
    return json.loads(streamed.stdout)["cameras"][0], live, decode_frames(tmp_path / "blur.mp4")


@pytest.mark.parametrize(
    ("width", "height", "before", "after"), [(320, 240, 15, 25), (1280, 720, 7, 13)]
)
def test_stream_of_a_file_redacts_exactly_as_veil_blur(
    tmp_path: Path, width: int, height: int, before: int, after: int
) -> None:
    clip = cut_clip(tmp_path / "clip.mp4", width, height, before, after)
    summary, live, files = stream_and_blur(clip, tmp_path)
    assert summary["frames_out"] == before + after and summary["frames_blanked"] == 0
    assert len(live) == len(files) == before + after
    for index in range(before, before + after):  # the astronaut's face is hidden in both
        center = face_center(index - before, after, width, height, True)
        assert face_hidden(files[index], center), f"frame {index}: veil blur left the face"
    for index, (ours, theirs) in enumerate(zip(live, files, strict=True)):
        differing = int((ours != theirs).any(axis=2).sum())
        assert differing == 0, f"frame {index}: {differing} pixels differ from veil blur"


def test_regional_passes_are_the_same_live_and_in_files(tmp_path: Path) -> None:
    """A small face drifting over a still picture: the detections between full passes are
    regional (tests/test_detection_schedule.py checks that on this clip), and the stream still
    redacts every frame exactly as veil blur does."""
    clip = write_clip(tmp_path / "clip.mp4", small_face_frames(36))
    summary, live, files = stream_and_blur(clip, tmp_path)
    assert summary["frames_blanked"] == 0
    assert len(live) == len(files) == 36
    for index, (ours, theirs) in enumerate(zip(live, files, strict=True)):
        assert (ours != theirs).any(axis=2).sum() == 0, f"frame {index} differs from veil blur"
        assert theirs[232:252, 372 + 2 * index : 386 + 2 * index].max() < 45, f"frame {index}"
