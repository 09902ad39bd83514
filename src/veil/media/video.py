"""Video files: streaming decode and encode with PyAV (FFmpeg's libraries, no ffmpeg binary).

:class:`VideoReader` yields upright BGR frames with their timestamps and, in the same order as
they were stored, the packets of the other streams (audio, subtitles) untouched.
:class:`VideoWriter` encodes frames with the input's timestamps and time base, so frame count,
frame rate and timing are kept, turns each frame back to the input's stored orientation and sets
the same display rotation, and copies the other streams' packets unchanged. Container and stream
metadata (creation time, location, device) are dropped unless ``keep_metadata`` is set. Memory
does not grow with the video's length: frames flow through one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from veil.core.frame import Frame
from veil.errors import MediaError

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})
DEFAULT_CODECS = {".webm": "libvpx-vp9", ".avi": "mpeg4"}
DEFAULT_CRF = 20


class X264Preset(StrEnum):
    """x264's (and x265's) presets: encoding speed against file size at the same quality."""

    ULTRAFAST = "ultrafast"
    SUPERFAST = "superfast"
    VERYFAST = "veryfast"
    FASTER = "faster"
    FAST = "fast"
    MEDIUM = "medium"
    SLOW = "slow"
    SLOWER = "slower"
    VERYSLOW = "veryslow"
    PLACEBO = "placebo"


X264_PRESETS = tuple(p.value for p in X264Preset)
DEFAULT_PRESET = X264Preset.VERYFAST.value  # measured: BENCHMARKS.md "Encoder preset"


@dataclass(frozen=True)
class VideoInfo:
    """What the writer needs to reproduce the input's geometry and timing."""

    width: int
    height: int
    time_base: Fraction
    frame_rate: Fraction | None
    frame_count: int  # as stored in the container; 0 when unknown
    codec: str
    passthrough_streams: int


@dataclass
class VideoFrame:
    """One decoded frame: upright BGR pixels, its timestamp and the stored rotation (degrees)."""

    pixels: Frame
    pts: int | None
    rotation: int


@dataclass
class StreamPacket:
    """A packet of a stream that is copied through unchanged (audio, subtitles)."""

    packet: Any


def _error(path: Path, exc: BaseException) -> MediaError:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return MediaError(f"{path}: not a readable video ({text})")


class VideoReader:
    """Open a video file for streaming; use as a context manager."""

    def __init__(self, path: Path, passthrough: bool = True) -> None:
        import av

        self.path = path
        if path.stat().st_size == 0:
            raise MediaError(f"{path}: empty file")
        try:
            self._container = av.open(str(path), mode="r")
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise _error(path, exc) from exc
        if not self._container.streams.video:
            self._container.close()
            raise MediaError(f"{path}: no video stream")
        self._video = self._container.streams.video[0]
        self._video.thread_type = "AUTO"
        kinds = ("audio", "subtitle") if passthrough else ()
        self._others = [s for s in self._container.streams if s.type in kinds]
        ctx = self._video.codec_context
        if not ctx.width or not ctx.height:
            self._container.close()
            raise MediaError(f"{path}: video stream has no frame size")
        self.info = VideoInfo(
            width=ctx.width,
            height=ctx.height,
            time_base=self._video.time_base or Fraction(1, 90000),
            frame_rate=self._video.average_rate or self._video.guessed_rate,
            frame_count=int(self._video.frames or 0),
            codec=ctx.name,
            passthrough_streams=len(self._others),
        )

    @property
    def stream(self) -> Any:
        """The input video stream."""
        return self._video

    @property
    def other_streams(self) -> list[Any]:
        """Input streams copied through unchanged."""
        return list(self._others)

    @property
    def container(self) -> Any:
        """The open input container."""
        return self._container

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        self._container.close()

    def items(self) -> Iterator[VideoFrame | StreamPacket]:
        """Yield frames and passthrough packets in file order; decode errors raise MediaError."""
        import av

        wanted = [self._video, *self._others]
        try:
            for packet in self._container.demux(wanted):
                if packet.stream is self._video:
                    for frame in packet.decode():
                        yield self._to_frame(frame)
                elif packet.dts is not None:
                    yield StreamPacket(packet)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise _error(self.path, exc) from exc

    def frames_from(self, pts: int) -> Iterator[VideoFrame]:
        """Decoded frames from the one at ``pts`` on (seeking to the key frame before it)."""
        import av

        try:
            self._container.seek(pts, stream=self._video, backward=True, any_frame=False)
            for frame in self._container.decode(self._video):
                if frame.pts is None or frame.pts >= pts:
                    yield self._to_frame(frame)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise _error(self.path, exc) from exc

    def timestamps(self) -> tuple[list[int], set[int]]:
        """Every video frame's timestamp in display order, and those of key frames (read from
        the packets, nothing decoded; the reader is used up)."""
        import av

        stamps: list[int] = []
        keys: set[int] = set()
        try:
            for packet in self._container.demux(self._video):
                if packet.pts is not None:
                    stamps.append(int(packet.pts))
                    if packet.is_keyframe:
                        keys.add(int(packet.pts))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise _error(self.path, exc) from exc
        return sorted(stamps), keys

    @staticmethod
    def _to_frame(frame: Any) -> VideoFrame:
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        pixels = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
        if rotation:
            # FFmpeg's display rotation is counter-clockwise; turn the pixels upright.
            pixels = np.ascontiguousarray(np.rot90(pixels, k=-rotation // 90))
        return VideoFrame(pixels, frame.pts, rotation)


class VideoWriter:
    """Encode frames into ``path`` (normally a temporary file) beside the reader's other streams."""

    def __init__(
        self,
        path: Path,
        reader: VideoReader,
        *,
        codec: str | None = None,
        crf: int = DEFAULT_CRF,
        keep_metadata: bool = False,
        suffix: str | None = None,
        preset: str = DEFAULT_PRESET,
    ) -> None:
        import av

        self.path = path
        suffix = (suffix or path.suffix).lower()
        if suffix not in VIDEO_SUFFIXES:
            raise MediaError(f"{path}: not a video file name ({suffix or 'no extension'})")
        self._reader = reader
        self.frames_written = 0
        self.packets_copied = 0
        try:
            self._container = av.open(str(path), mode="w", format=_format_for(suffix))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{path}: cannot create output ({exc})") from exc
        info = reader.info
        codec = output_codec(codec, suffix)
        try:
            stream: Any = self._container.add_stream(codec, rate=info.frame_rate or Fraction(30))
        except (av.FFmpegError, ValueError) as exc:
            self._container.close()
            raise MediaError(f"unknown or unusable video codec {codec!r} ({exc})") from exc
        # 4:2:0 video needs even sizes: odd ones get one replicated edge column or row.
        self._pad = (info.width % 2, info.height % 2) if _needs_even(codec) else (0, 0)
        stream.width = info.width + self._pad[0]
        stream.height = info.height + self._pad[1]
        stream.pix_fmt = "yuv420p"
        stream.time_base = info.time_base
        stream.codec_context.time_base = info.time_base
        options = codec_options(codec, crf, preset)
        if options:
            stream.options = options
        self._stream = stream
        self._stream_map: dict[int, Any] = {}
        for other in reader.other_streams:
            self._stream_map[other.index] = copy_stream(self._container, other, keep_metadata)
        if keep_metadata:
            self._container.metadata.update(dict(reader.container.metadata))
        self._rotation_set = False
        self._pending: list[Any] = []

    def write_frame(self, frame: VideoFrame) -> None:
        """Encode one frame (pixels upright; turned back to the stored orientation here)."""
        if not self._rotation_set:
            if frame.rotation:
                self._stream.set_display_rotation(frame.rotation)
            self._rotation_set = True
        out = stored_frame(frame, self._pad)
        out.pts = frame.pts if frame.pts is not None else self._synthetic_pts()
        out.time_base = self._reader.info.time_base
        self._mux(self._stream.encode(out))
        self.frames_written += 1
        if self._pending:
            pending, self._pending = self._pending, []
            for packet in pending:
                self.copy_packet(packet)

    def _synthetic_pts(self) -> int:
        """A timestamp for a frame that came without one: the frame's index at the frame rate."""
        rate = self._reader.info.frame_rate or Fraction(30)
        return round(self.frames_written / rate / self._reader.info.time_base)

    def copy_packet(self, item: StreamPacket | Any) -> None:
        """Copy a passthrough packet unchanged into its output stream."""
        packet = item.packet if isinstance(item, StreamPacket) else item
        if not self._rotation_set:
            self._pending.append(packet)  # the header waits for the video's rotation
            return
        out = self._stream_map.get(packet.stream.index)
        if out is None:
            return
        packet.stream = out
        self._container.mux(packet)
        self.packets_copied += 1

    def _mux(self, packets: Any) -> None:
        import av

        try:
            self._container.mux(packets)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{self.path}: cannot write video ({exc})") from exc

    def finish(self) -> None:
        """Flush the encoder and close the file."""
        self._rotation_set = True
        for packet in self._pending:
            self.copy_packet(packet)
        self._pending = []
        self._mux(self._stream.encode(None))
        self._container.close()

    def abort(self) -> None:
        """Close without flushing (the output is discarded by the caller)."""
        with contextlib.suppress(Exception):
            self._container.close()


def stored_frame(frame: VideoFrame, pad: tuple[int, int]) -> Any:
    """An upright frame as the ``av.VideoFrame`` to encode (no timestamp yet): turned back to
    the stored orientation, then ``pad`` (columns, rows) added by repeating the edge."""
    import av

    pixels = frame.pixels
    if frame.rotation:
        pixels = np.ascontiguousarray(np.rot90(pixels, k=frame.rotation // 90))
    if any(pad):
        pixels = np.pad(pixels, ((0, pad[1]), (0, pad[0]), (0, 0)), mode="edge")
    return av.VideoFrame.from_ndarray(pixels, format="bgr24")


def _needs_even(codec: str) -> bool:
    return codec in {
        "libx264",
        "libx265",
        "h264",
        "hevc",
        "libvpx-vp9",
        "libaom-av1",
        "libsvtav1",
        "mpeg4",
    }


def _format_for(suffix: str) -> str | None:
    return {
        ".mp4": "mp4",
        ".m4v": "mp4",
        ".mov": "mov",
        ".mkv": "matroska",
        ".webm": "webm",
        ".avi": "avi",
    }.get(suffix)


def probe_video(path: Path) -> VideoInfo:
    """Return a video's :class:`VideoInfo` (raises :class:`MediaError` when unreadable)."""
    with VideoReader(path) as reader:
        return reader.info


def count_frames(path: Path) -> int:
    """Decode ``path`` and count its video frames."""
    with VideoReader(path, passthrough=False) as reader:
        return sum(1 for item in reader.items() if isinstance(item, VideoFrame))


def codec_options(codec: str, crf: int, preset: str = DEFAULT_PRESET) -> dict[str, str]:
    """The encoder options Veil's video writer uses for ``codec`` at quality ``crf``."""
    if codec not in {"libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1"}:
        return {}
    options = {"crf": str(crf)}
    if codec in {"libx264", "libx265"}:
        options["preset"] = preset
    if codec == "libvpx-vp9":
        options["b"] = "0"
    return options


def output_codec(codec: str | None, suffix: str) -> str:
    """The codec an output of this suffix gets when none is asked for."""
    return codec or DEFAULT_CODECS.get(suffix.lower(), "libx264")


def copy_stream(out: Any, stream: Any, keep_metadata: bool) -> Any:
    """Add ``stream`` to ``out`` for packets copied unchanged; its tags dropped but the language
    unless ``keep_metadata``."""
    copy = out.add_stream_from_template(stream)
    if not keep_metadata:
        for key in list(copy.metadata):
            if key != "language":
                del copy.metadata[key]
    return copy
