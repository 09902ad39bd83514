from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import pytest

from veil.errors import MediaError
from veil.media.video import (
    StreamPacket,
    VideoFrame,
    VideoReader,
    VideoWriter,
    count_frames,
    probe_video,
)


def copy_video(source: Path, target: Path, keep_metadata: bool = False) -> VideoWriter:
    with VideoReader(source) as reader:
        writer = VideoWriter(target, reader, keep_metadata=keep_metadata)
        for item in reader.items():
            if isinstance(item, VideoFrame):
                writer.write_frame(item)
            else:
                writer.copy_packet(item)
        writer.finish()
    return writer


def audio_packets(path: Path) -> list[tuple[int | None, bytes]]:
    with av.open(str(path)) as container:
        return [(p.pts, bytes(p)) for p in container.demux(audio=0) if p.size]


def test_frames_timing_and_audio_survive(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    source = make_video(tmp_path / "in.mp4", frames=30, fps=15, audio=True)
    writer = copy_video(source, tmp_path / "out.mp4")
    before, after = probe_video(source), probe_video(tmp_path / "out.mp4")
    assert count_frames(tmp_path / "out.mp4") == count_frames(source) == 30 == writer.frames_written
    assert after.frame_rate == before.frame_rate
    assert after.time_base == before.time_base
    assert (after.width, after.height) == (before.width, before.height)
    assert audio_packets(tmp_path / "out.mp4") == audio_packets(source)  # bit-exact passthrough


def test_rotation_is_preserved(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    source = make_video(tmp_path / "in.mp4", frames=6, rotation=90)
    with VideoReader(source) as reader:
        first = next(i for i in reader.items() if isinstance(i, VideoFrame))
    assert first.rotation == 90 and first.pixels.shape[:2] == (320, 240)  # upright for detection
    copy_video(source, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as container:
        frame = next(container.decode(video=0))
        assert frame.rotation == 90 and (frame.width, frame.height) == (320, 240)


def test_container_metadata_is_stripped_unless_kept(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    tags = {
        "location": "+31.2304+121.4737/",
        "creation_time": "2026-01-01T08:00:00Z",
        "make": "SpyCam",
    }
    source = make_video(tmp_path / "in.mp4", frames=4, metadata=tags)
    copy_video(source, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert not {"location", "make", "creation_time"} & set(container.metadata)
    assert b"SpyCam" not in (tmp_path / "out.mp4").read_bytes()
    copy_video(source, tmp_path / "kept.mp4", keep_metadata=True)
    with av.open(str(tmp_path / "kept.mp4")) as container:
        assert container.metadata.get("location") == tags["location"]


def test_bad_videos_get_one_clear_error(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is a text file with a video name\n" * 20)
    good = make_video(tmp_path / "good.mp4", frames=10)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    for path in (empty, text, cut):
        with pytest.raises(MediaError) as info, VideoReader(path) as reader:
            for _ in reader.items():
                pass
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_passthrough_items_keep_file_order(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    source = make_video(tmp_path / "in.mp4", frames=12, audio=True)
    with VideoReader(source) as reader:
        kinds = [type(item) for item in reader.items()]
    assert kinds.count(VideoFrame) == 12
    assert StreamPacket in kinds


def write_clip(path: Path, codec: str, size: tuple[int, int] = (96, 64), frames: int = 6) -> Path:
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((size[1], size[0], 3), i * 30, np.uint8), format="bgr24"
            )
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [(".mov", "libx264"), (".mkv", "libx264"), (".webm", "libvpx-vp9"), (".avi", "mpeg4")],
)
def test_every_container_round_trips(tmp_path: Path, suffix: str, codec: str) -> None:
    source = write_clip(tmp_path / f"in{suffix}", codec)
    copy_video(source, tmp_path / f"out{suffix}")
    assert count_frames(tmp_path / f"out{suffix}") == 6


def test_odd_frame_sizes_are_padded_to_even(tmp_path: Path) -> None:
    source = write_clip(tmp_path / "odd.mkv", "ffv1", size=(95, 63))
    copy_video(source, tmp_path / "out.mp4")
    info = probe_video(tmp_path / "out.mp4")
    assert (info.width, info.height) == (96, 64)
    assert count_frames(tmp_path / "out.mp4") == 6
