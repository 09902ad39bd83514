"""Read and write still images.

Images are read with Pillow (JPEG, PNG, WebP, BMP, TIFF), turned upright by their EXIF orientation
and handed on as BGR ``uint8`` arrays. Outputs carry no metadata by default (EXIF, GPS, XMP, ICC
comments, text chunks): the pixels are written into a fresh image. With ``keep_metadata`` the EXIF
block is kept, its orientation reset since the pixels are already upright.

Images larger than :data:`MAX_IMAGE_PIXELS` (width times height) are refused as bad input before
they are decoded: that is about Pillow's own decompression-bomb threshold (89.5 megapixels), so a
small file cannot make Veil allocate gigabytes, and Pillow's bomb warning never escapes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from veil.core.atomic import atomic_output
from veil.core.frame import Frame
from veil.errors import MediaError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
_ORIENTATION_TAG = 0x0112
MAX_IMAGE_PIXELS = 89_478_485
"""The largest image Veil reads, in pixels (Pillow's default bomb limit; e.g. 9459 x 9459)."""


@dataclass
class LoadedImage:
    """An upright BGR image and what is needed to write it back in its own format."""

    pixels: Frame
    format: str
    exif: bytes | None
    icc_profile: bytes | None


def read_image(path: Path) -> LoadedImage:
    """Decode ``path`` fully; corrupt, truncated or non-image files raise :class:`MediaError`."""
    try:
        if path.stat().st_size == 0:
            raise MediaError(f"{path}: empty file")
        with warnings.catch_warnings():
            # Veil applies its own limit below; Pillow's warning would only duplicate it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                image_format = opened.format or "PNG"
                _check_size(path, opened.width, opened.height)
                opened.load()
                exif = opened.getexif()
                upright = ImageOps.exif_transpose(opened) or opened
                icc = opened.info.get("icc_profile")
                rgb = upright.convert("RGB")
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:  # over twice Pillow's limit: refused while opening
        raise MediaError(f"{path}: image too large ({_reason(exc)})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{path}: not a readable image ({_reason(exc)})") from exc
    pixels = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    exif_bytes: bytes | None = None
    if len(exif):
        exif[_ORIENTATION_TAG] = 1
        exif_bytes = exif.tobytes()
    return LoadedImage(pixels, image_format, exif_bytes, icc if isinstance(icc, bytes) else None)


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaError(
            f"{path}: image too large ({width}x{height} = {width * height / 1e6:.1f} megapixels;"
            f" the limit is {MAX_IMAGE_PIXELS / 1e6:.1f})"
        )


def write_image(
    path: Path,
    pixels: Frame,
    source: LoadedImage | None = None,
    *,
    keep_metadata: bool = False,
    overwrite: bool = False,
    quality: int = 95,
) -> None:
    """Write BGR ``pixels`` to ``path`` atomically; the format follows the suffix."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise MediaError(
            f"{path}: not an image file name (use one of {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    image = Image.fromarray(np.ascontiguousarray(pixels[:, :, ::-1]), "RGB")
    options: dict[str, object] = {}
    if suffix in {".jpg", ".jpeg", ".webp"}:
        options["quality"] = quality
    if keep_metadata and source is not None:
        if source.exif:
            options["exif"] = source.exif
        if source.icc_profile:
            options["icc_profile"] = source.icc_profile
    with atomic_output(path, overwrite=overwrite) as temporary:
        try:
            image.save(temporary, format=_pil_format(suffix), **options)
        except (OSError, ValueError, KeyError) as exc:
            raise MediaError(f"{path}: cannot write image ({_reason(exc)})") from exc


def _pil_format(suffix: str) -> str:
    return {
        ".jpg": "JPEG",
        ".jpeg": "JPEG",
        ".png": "PNG",
        ".webp": "WEBP",
        ".bmp": "BMP",
        ".tif": "TIFF",
        ".tiff": "TIFF",
    }[suffix]


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
