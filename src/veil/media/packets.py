"""Encode a run of frames into packets kept in memory, and stitch runs into one video file.

A long video is anonymized in chunks by several workers (:mod:`veil.scale.chunks`): each encodes
its chunk on its own with the input's time base and timestamps, so the chunks' packets can be
muxed back to back. :func:`stitch` writes them, in order, beside the input's audio and subtitle
packets copied unchanged, with the input's rotation: one file with the same frame count, timing
and streams as the whole-file run. Every encoder uses the same codec settings (and a global
header), so the stream parameters of the first chunk describe all of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from veil.errors import MediaError
from veil.media.video import (
    DEFAULT_PRESET,
    VideoFrame,
    VideoInfo,
    _format_for,
    _needs_even,
    codec_options,
    copy_stream,
    stored_frame,
)

GLOBAL_HEADER = 1 << 22  # AV_CODEC_FLAG_GLOBAL_HEADER: parameters in extradata, as mp4 needs


@dataclass
class EncodedRun:
    """One chunk's encoded video: packets (data, pts, dts, keyframe) and the stream's header."""

    packets: list[tuple[bytes, int, int, bool]] = field(default_factory=list)
    extradata: bytes = b""
    frames: int = 0
    rotation: int = 0


class PacketEncoder:
    """Encodes upright frames of one chunk, as :class:`~veil.media.video.VideoWriter` would."""

    def __init__(self, info: VideoInfo, codec: str, crf: int, preset: str = DEFAULT_PRESET) -> None:
        import av

        self._info = info
        self._pad = (info.width % 2, info.height % 2) if _needs_even(codec) else (0, 0)
        try:
            ctx: Any = av.CodecContext.create(codec, "w")
        except (av.FFmpegError, ValueError) as exc:
            raise MediaError(f"unknown or unusable video codec {codec!r} ({exc})") from exc
        ctx.width, ctx.height = info.width + self._pad[0], info.height + self._pad[1]
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = info.time_base
        ctx.framerate = info.frame_rate or Fraction(30)
        ctx.flags = int(ctx.flags) | GLOBAL_HEADER
        ctx.options = codec_options(codec, crf, preset)
        self._ctx = ctx
        self.run = EncodedRun()

    def encode(self, frame: VideoFrame) -> None:
        """Encode one frame (its ``pts`` in the input's time base is kept)."""
        if frame.pts is None:
            raise MediaError("a chunked video needs timestamps on every frame")
        self.run.rotation = frame.rotation
        out = stored_frame(frame, self._pad)
        out.pts, out.time_base = frame.pts, self._info.time_base
        self._keep(self._ctx.encode(out))
        self.run.frames += 1

    def _keep(self, packets: Any) -> None:
        for p in packets:
            self.run.packets.append((bytes(p), int(p.pts), int(p.dts), bool(p.is_keyframe)))

    def finish(self) -> EncodedRun:
        """Flush the encoder; the chunk's packets and header."""
        self._keep(self._ctx.encode(None))
        self.run.extradata = bytes(self._ctx.extradata or b"")
        return self.run


def stitch(
    source: Path,
    runs: Sequence[EncodedRun],
    path: Path,
    *,
    codec: str,
    crf: int,
    keep_audio: bool,
    keep_metadata: bool,
    suffix: str,
    preset: str = DEFAULT_PRESET,
) -> int:
    """Write ``runs`` in order into ``path`` with ``source``'s other streams; returns how many
    passthrough packets were copied."""
    import av

    from veil.media.video import VideoReader

    if not runs or not runs[0].packets:
        raise MediaError(f"{source}: no encoded video to stitch")
    with VideoReader(source, passthrough=keep_audio) as reader:
        info = reader.info
        try:
            out = av.open(str(path), mode="w", format=_format_for(suffix.lower()))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{path}: cannot create output ({exc})") from exc
        with out:
            video: Any = out.add_stream(codec, rate=info.frame_rate or Fraction(30))
            video.width = info.width + (info.width % 2 if _needs_even(codec) else 0)
            video.height = info.height + (info.height % 2 if _needs_even(codec) else 0)
            video.pix_fmt, video.time_base = "yuv420p", info.time_base
            video.options = codec_options(codec, crf, preset)
            video.codec_context.extradata = runs[0].extradata
            if runs[0].rotation:
                video.set_display_rotation(runs[0].rotation)
            others = {s.index: copy_stream(out, s, keep_metadata) for s in reader.other_streams}
            if keep_metadata:
                out.metadata.update(dict(reader.container.metadata))

            def video_packets() -> Iterator[Any]:
                for run in runs:
                    for data, pts, dts, key in run.packets:
                        packet = av.Packet(data)
                        packet.pts, packet.dts, packet.time_base = pts, dts, info.time_base
                        packet.is_keyframe, packet.stream = key, video
                        yield packet

            streams = reader.other_streams  # demux() of no streams would mean all of them
            passthrough = (
                (p for p in reader.container.demux(streams) if p.dts is not None)
                if streams
                else iter(())
            )
            copied = 0
            for packet in heapq.merge(video_packets(), passthrough, key=_seconds):
                if packet.stream is not video:
                    packet.stream = others[packet.stream.index]
                    copied += 1
                out.mux(packet)
    return copied


def _seconds(packet: Any) -> Fraction:
    return Fraction(packet.dts) * Fraction(packet.time_base)
