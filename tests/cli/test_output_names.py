"""An output name whose extension does not fit the input is a usage error, never a mislabelled file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veil.errors import ConfigError, MediaError
from veil.media.images import write_image
from veil.media.targets import is_file_target


def veil(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_usage_error(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("veil: error:") and name in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    write_image(path, np.full((64, 80, 3), 128, np.uint8))
    return path


@pytest.mark.parametrize("command", ["blur", "gate"])
def test_photo_to_mp4_is_refused(tmp_path: Path, photo: Path, command: str) -> None:
    extra = ["-p", "access-gate"] if command == "gate" else []
    result = veil(command, photo, *extra, "-o", tmp_path / "x.mp4", "--precision", "fp32")
    assert_usage_error(result, "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("command", ["blur", "gate"])
def test_photo_to_txt_makes_no_folder(tmp_path: Path, photo: Path, command: str) -> None:
    extra = ["-p", "access-gate"] if command == "gate" else []
    result = veil(command, photo, *extra, "-o", tmp_path / "x.txt", "--precision", "fp32")
    assert_usage_error(result, "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_video_to_png_is_refused(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=4)
    result = veil("blur", clip, "-o", tmp_path / "x.png", "--precision", "fp32")
    assert_usage_error(result, "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("suffix", "fmt"), [(".png", "PNG"), (".webp", "WEBP"), (".jpg", "JPEG")])
def test_image_extension_picks_the_format(
    tmp_path: Path, photo: Path, suffix: str, fmt: str
) -> None:
    target = tmp_path / f"x{suffix}"
    result = veil("blur", photo, "-o", target, "--precision", "fp32", "--no-ledger")
    assert result.returncode == 0, result.stderr
    with Image.open(target) as image:
        assert image.format == fmt


def test_folder_inputs_refuse_a_file_name(tmp_path: Path, photo: Path) -> None:
    with pytest.raises(ConfigError, match="output folder"):
        is_file_target([photo, photo.with_name("other.jpg")], tmp_path / "x.mp4")
    assert is_file_target([photo], tmp_path / "out") is False
    (tmp_path / "x.png").mkdir()
    assert is_file_target([photo], tmp_path / "x.png") is False  # an existing folder stays one


def test_library_writers_refuse_foreign_extensions(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not an image file name"):
        write_image(tmp_path / "x.mp4", np.zeros((4, 4, 3), np.uint8))
    assert not list(tmp_path.iterdir())
