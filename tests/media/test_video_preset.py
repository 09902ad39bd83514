"""The x264 preset reaches the encoder: Veil's writer, the chunk encoder and ``veil blur``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scene_clips import cut_frames, write_clip
from veil.errors import ConfigError
from veil.media.packets import PacketEncoder
from veil.media.video import DEFAULT_PRESET, VideoFrame, VideoReader, VideoWriter
from veil.pipeline import AnonymizeOptions


def x264_settings(data: bytes) -> dict[str, str]:
    """The settings x264 wrote into its stream (``options: cabac=1 ref=3 ... subme=7 ...``)."""
    found = re.search(rb"options: ([^\x00]*)", data)
    assert found is not None, "no x264 settings in the stream"
    pairs = (item.split("=", 1) for item in found.group(1).decode().split() if "=" in item)
    return dict(pairs)


def encode(source: Path, target: Path, **kwargs: str) -> dict[str, str]:
    with VideoReader(source) as reader:
        writer = VideoWriter(target, reader, **kwargs)  # type: ignore[arg-type]
        for item in reader.items():
            if isinstance(item, VideoFrame):
                writer.write_frame(item)
        writer.finish()
    return x264_settings(target.read_bytes())


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("preset") / "in.mp4", cut_frames(6))


def test_the_writer_encodes_with_the_preset_asked_for(clip: Path, tmp_path: Path) -> None:
    # x264's presets differ in sub-pixel refinement: ultrafast 0, veryfast 2, medium 7.
    assert encode(clip, tmp_path / "u.mp4", preset="ultrafast")["subme"] == "0"
    assert encode(clip, tmp_path / "v.mp4", preset="veryfast")["subme"] == "2"
    assert encode(clip, tmp_path / "m.mp4", preset="medium")["subme"] == "7"


def test_the_chunk_encoder_uses_the_same_preset(clip: Path) -> None:
    with VideoReader(clip) as reader:
        encoder = PacketEncoder(reader.info, "libx264", 20, "veryfast")
        for frame in reader.frames_from(0):
            encoder.encode(frame)
        run = encoder.finish()
    data = run.extradata + b"".join(p[0] for p in run.packets)
    assert x264_settings(data)["subme"] == "2"


def test_an_unknown_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="preset 'quick'"):
        AnonymizeOptions(preset="quick")
    assert AnonymizeOptions().preset == DEFAULT_PRESET


def test_veil_blur_preset_flag(clip: Path, tmp_path: Path) -> None:
    def blur(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "veil.cli.main", "blur", str(clip), "--quiet", *extra],
            capture_output=True,
            text=True,
            timeout=300,
        )

    out = tmp_path / "out.mp4"
    done = blur("-o", str(out), "--preset", "ultrafast")
    assert done.returncode == 0, done.stderr
    assert x264_settings(out.read_bytes())["subme"] == "0"
    bad = blur("-o", str(tmp_path / "bad.mp4"), "--preset", "quick")
    assert bad.returncode == 2 and "--preset" in bad.stderr
    assert not (tmp_path / "bad.mp4").exists()
