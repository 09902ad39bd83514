from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veil.errors import MediaError
from veil.media.images import read_image, write_image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_exif(path: Path, orientation: int = 1) -> Path:
    """A JPEG with camera make, GPS position and an orientation tag; left half red, right half blue."""
    pixels = np.zeros((60, 80, 3), np.uint8)
    pixels[:, :40] = (255, 0, 0)
    pixels[:, 40:] = (0, 0, 255)
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    image.save(path, "JPEG", exif=exif.tobytes(), quality=95)
    return path


def test_metadata_is_stripped_by_default(tmp_path: Path) -> None:
    source = jpeg_with_exif(tmp_path / "in.jpg")
    loaded = read_image(source)
    write_image(tmp_path / "out.jpg", loaded.pixels, loaded)
    with Image.open(tmp_path / "out.jpg") as out:
        assert len(out.getexif()) == 0
        assert "exif" not in out.info and "xmp" not in out.info
    assert b"SpyCam" not in (tmp_path / "out.jpg").read_bytes()


def test_keep_metadata_keeps_exif_with_orientation_reset(tmp_path: Path) -> None:
    source = jpeg_with_exif(tmp_path / "in.jpg", orientation=6)
    loaded = read_image(source)
    write_image(tmp_path / "out.jpg", loaded.pixels, loaded, keep_metadata=True)
    with Image.open(tmp_path / "out.jpg") as out:
        exif = out.getexif()
        assert exif[MAKE] == "SpyCam"
        assert exif[ORIENTATION] == 1
        assert exif.get_ifd(GPS_IFD)


def test_orientation_is_applied_to_the_pixels(tmp_path: Path) -> None:
    loaded = read_image(jpeg_with_exif(tmp_path / "in.jpg", orientation=6))  # rotate 90° clockwise
    assert loaded.pixels.shape[:2] == (80, 60)
    top, bottom = loaded.pixels[2, 30], loaded.pixels[-3, 30]
    assert top[2] > 200 and top[0] < 60  # BGR: red half now on top
    assert bottom[0] > 200 and bottom[2] < 60


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".bmp", ".tiff"])
def test_every_format_round_trips(tmp_path: Path, suffix: str) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    write_image(tmp_path / f"x{suffix}", pixels)
    back = read_image(tmp_path / f"x{suffix}").pixels
    assert back.shape == pixels.shape
    if suffix in {".png", ".bmp", ".tiff"}:
        assert np.array_equal(back, pixels)


def test_bad_images_get_one_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "text.png"
    text.write_text("not an image at all\n")
    good = jpeg_with_exif(tmp_path / "good.jpg")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    for path, reason in (
        (empty, "empty file"),
        (text, "not a readable image"),
        (cut, "not a readable image"),
    ):
        with pytest.raises(MediaError, match=reason) as info:
            read_image(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_existing_output_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(MediaError, match="exists"):
        write_image(target, np.zeros((4, 4, 3), np.uint8))
    assert target.read_bytes() == b"keep me"
    write_image(target, np.zeros((4, 4, 3), np.uint8), overwrite=True)
    assert target.read_bytes() != b"keep me"


def blank_png(path: Path, width: int, height: int) -> Path:
    """A 1-bit, all-black PNG: a few kB on disk however many pixels it declares."""
    Image.new("1", (width, height), 0).save(path)
    return path


@pytest.mark.parametrize("size", [(12000, 12000), (14000, 13000)])  # Pillow warns / raises
def test_images_over_the_pixel_limit_are_bad_input(tmp_path: Path, size: tuple[int, int]) -> None:
    big = blank_png(tmp_path / "big.png", *size)
    with pytest.raises(MediaError, match="image too large") as info:
        read_image(big)
    assert str(big) in str(info.value) and "\n" not in str(info.value)


def test_the_pixel_limit_is_one_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("veil.media.images.MAX_IMAGE_PIXELS", 100 * 100)
    assert read_image(blank_png(tmp_path / "edge.png", 100, 100)).pixels.shape[:2] == (100, 100)
    with pytest.raises(MediaError, match="101x100"):
        read_image(blank_png(tmp_path / "over.png", 101, 100))
