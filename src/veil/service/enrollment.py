"""Enrollment by photo upload: the same checks as ``veil consent enroll`` on one uploaded photo.

The upload must be a JPEG, PNG or WebP image within the service's request size limit and
:data:`MAX_PIXELS`; it is written to a private temporary file (0600) in the service's home, enrolled
with :func:`veil.consent.enroll.enroll` (consent for the purpose, exactly one face, big enough)
and deleted at once, whatever happened.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from veil.consent.enroll import Enrollment, enroll
from veil.consent.registry import ConsentRegistry
from veil.core.atomic import scratch_file
from veil.errors import BadInputError
from veil.vision.detectors import Detector
from veil.vision.embeddings import Embedder

MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


class UploadError(BadInputError):
    """An upload that is not an image Veil takes, or one too large."""


def models() -> tuple[Detector, Embedder]:
    """The CLI's enrollment detector and embedder (tests replace this)."""
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    return get_detector(DEFAULT_DETECTOR, DetectorSettings(threshold=0.3)), get_embedder()


def image_suffix(data: bytes, max_pixels: int | None = None) -> str:
    """The file suffix of the uploaded image ``data``, after checking its format and size
    from its header (no pixel is decoded)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise UploadError("the upload is not a JPEG, PNG or WebP image") from None
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    if fmt not in FORMATS:
        raise UploadError(f"{fmt} images are not accepted: send JPEG, PNG or WebP")
    if width * height > max_pixels:
        raise UploadError(f"the image has {width * height} pixels; at most {max_pixels} accepted")
    return FORMATS[fmt]


def enroll_upload(
    registry: ConsentRegistry, subject: str, purpose: str, data: bytes, scratch: Path
) -> Enrollment:
    """Enroll the uploaded photo ``data`` for ``subject`` and ``purpose``."""
    suffix = image_suffix(data)
    scratch.mkdir(mode=0o700, exist_ok=True)
    with scratch_file(scratch, data, suffix) as path:
        detector, embedder = models()
        return enroll(registry, subject, purpose, [path], detector, embedder)
