"""H.264 encoding shared by the stream sinks: settings, output stream setup, BGR to encoder frames."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from veil.core.frame import Frame
from veil.errors import ConfigError

OUTPUT_TIME_BASE = Fraction(1, 90000)


@dataclass(frozen=True)
class EncoderSettings:
    """H.264 encoding for every sink: x264 ``preset``, ``crf`` and key frames every ``gop_seconds``."""

    codec: str = "libx264"
    preset: str = "ultrafast"
    crf: int = 23
    gop_seconds: float = 1.0
    threads: int = 0


def add_video_stream(
    container: Any, settings: EncoderSettings, width: int, height: int, fps: float
) -> Any:
    """Add a yuv420p video stream at ``fps`` to ``container``; ConfigError for a bad codec."""
    import av

    try:
        stream = container.add_stream(settings.codec, rate=Fraction(round(fps * 1000), 1000))
    except (av.FFmpegError, ValueError) as exc:
        raise ConfigError(f"unknown or unusable video codec {settings.codec!r} ({exc})") from exc
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.time_base = OUTPUT_TIME_BASE
    stream.codec_context.time_base = OUTPUT_TIME_BASE
    stream.codec_context.gop_size = max(1, round(fps * settings.gop_seconds))
    stream.thread_count = settings.threads
    if settings.codec in {"libx264", "libx265"}:
        stream.options = {
            "crf": str(settings.crf),
            "preset": settings.preset,
            "tune": "zerolatency",
        }
    return stream


def encoder_frame(pixels: Frame) -> Any:
    """A redacted BGR frame as an ``av.VideoFrame`` in yuv420p (even size, edge replicated)."""
    import av

    h, w = pixels.shape[:2]
    if h % 2 or w % 2:
        pixels = np.pad(pixels, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="bgr24").reformat(
        format="yuv420p"
    )


def text_of(exc: BaseException) -> str:
    """An exception as one line."""
    return " ".join(str(exc).split()) or type(exc).__name__
