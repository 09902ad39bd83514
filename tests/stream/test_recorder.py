"""Rolling segments: fixed length, atomic, playable alone, resumable, and a clear disk-full error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.stream.stream_helpers import count_audio, decode_frames
from veil.errors import ConfigError
from veil.stream.encoding import encoder_frame
from veil.stream.recorder import (
    DiskFullError,
    SegmentInfo,
    SegmentRecorder,
    next_sequence,
    segment_files,
)


def frame(value: int, size: tuple[int, int] = (160, 120)) -> object:
    return encoder_frame(np.full((size[1], size[0], 3), value, np.uint8))


def write_seconds(recorder: SegmentRecorder, start: float, seconds: float, fps: float = 10) -> None:
    for i in range(round(seconds * fps)):
        recorder.write(frame(100), start + i / fps, faces_redacted=1, blanked=i % 5 == 0)


def test_segments_roll_at_their_length_and_each_plays_alone(tmp_path: Path) -> None:
    closed: list[SegmentInfo] = []
    recorder = SegmentRecorder(
        tmp_path, "lobby", segment_seconds=1.0, fps=10, min_free_bytes=0, observer=closed.append
    )
    write_seconds(recorder, 0.0, 3.5)
    recorder.close()
    files = segment_files(tmp_path, "lobby")
    assert [p.name for p in files] == [i.path.name for i in closed]
    assert [i.frames for i in closed] == [10, 10, 10, 5]
    for info in closed:
        assert len(decode_frames(info.path)) == info.frames  # playable on its own
        assert info.faces_redacted == info.frames and info.frames_blanked == info.frames // 5
    assert not list(tmp_path.glob(".*"))  # no partial left behind


def test_resolution_change_and_reconnection_start_new_segments(tmp_path: Path) -> None:
    recorder = SegmentRecorder(tmp_path, "cam", segment_seconds=60, fps=10, min_free_bytes=0)
    for i in range(5):
        recorder.write(frame(90, (160, 120)), i / 10)
    for i in range(5, 10):
        recorder.write(frame(90, (320, 240)), i / 10)
    recorder.discontinuity()
    for i in range(10, 13):
        recorder.write(frame(90, (320, 240)), i / 10)
    recorder.close()
    sizes = [decode_frames(p)[0].shape[:2] for p in segment_files(tmp_path)]
    assert sizes == [(120, 160), (240, 320), (240, 320)]


def test_restart_removes_partials_and_never_overwrites(tmp_path: Path) -> None:
    first = SegmentRecorder(tmp_path, "cam", segment_seconds=1, fps=10, min_free_bytes=0)
    write_seconds(first, 0, 2)
    first.close()
    before = {p.name: p.read_bytes() for p in segment_files(tmp_path)}
    (tmp_path / ".cam-20260101T000000Z-000002.abcd.partial.mp4").write_bytes(b"half a segment")
    second = SegmentRecorder(tmp_path, "cam", segment_seconds=1, fps=10, min_free_bytes=0)
    assert not list(tmp_path.glob(".*partial*"))
    assert second.sequence == 2 == next_sequence(tmp_path, "cam")
    write_seconds(second, 0, 1)
    second.close()
    after = segment_files(tmp_path)
    assert len(after) == 3
    assert all(
        p.read_bytes() == data for p in after for name, data in before.items() if p.name == name
    )
    assert int(after[-1].name[-10:-4]) == 2


def test_too_little_free_space_is_a_clear_error_before_writing(tmp_path: Path) -> None:
    recorder = SegmentRecorder(tmp_path, "cam", min_free_bytes=1 << 60)
    with pytest.raises(DiskFullError, match="disk full"):
        recorder.write(frame(80), 0.0)
    assert list(tmp_path.iterdir()) == []


def test_disk_filling_up_mid_segment_removes_the_partial_and_keeps_complete_ones(
    tmp_path: Path,
) -> None:
    """A real write failure: the file-size limit (EFBIG) stands in for a full disk."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        import numpy as np
        from pathlib import Path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from veil.stream.encoding import encoder_frame
        from veil.stream.recorder import SegmentRecorder, DiskFullError
        rec = SegmentRecorder(Path({str(tmp_path)!r}), "cam", segment_seconds=1, fps=10,
                              min_free_bytes=0)
        rng = np.random.default_rng(0)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))
        try:
            for i in range(200):
                if i < 20:  # two small segments, then noise that outgrows the limit
                    pixels = np.full((240, 320, 3), 90, np.uint8)
                else:
                    pixels = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
                rec.write(encoder_frame(pixels), i / 10)
            rec.close()
        except DiskFullError as exc:
            print("ERROR", exc)
            sys.exit(1)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "ERROR disk full" in result.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    complete = segment_files(tmp_path)
    assert len(complete) == 2
    for path in complete:
        assert len(decode_frames(path)) == 10


def test_camera_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        SegmentRecorder(tmp_path, "../escape")


def test_audio_is_copied_into_segments(tmp_path: Path, make_video: object) -> None:
    from veil.media.streams import Discontinuity, LiveFrame, LivePacket, LiveSource, describe_source

    clip = make_video(tmp_path / "a.mp4", frames=24, fps=12, audio=True)  # type: ignore[operator]
    source = LiveSource(describe_source(str(clip), realtime=False))
    recorder = SegmentRecorder(
        tmp_path / "rec", "cam", segment_seconds=60, fps=12, min_free_bytes=0
    )
    for item in source.items():
        if isinstance(item, Discontinuity):
            recorder.set_audio(item.audio)
        elif isinstance(item, LiveFrame):
            recorder.write(encoder_frame(item.pixels), item.time)
        elif isinstance(item, LivePacket):
            recorder.write_audio(item)
    recorder.close()
    (segment,) = segment_files(tmp_path / "rec")
    assert len(decode_frames(segment)) == 24
    assert count_audio(segment) > 10
