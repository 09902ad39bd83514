"""Encode a run of frames into packets (in memory or spooled to a file), and stitch runs into one
video file.

A long video is anonymized in chunks by several workers (:mod:`veil.scale.chunks`): each encodes
its chunk on its own with the input's time base and timestamps, so the chunks' packets can be
muxed back to back. :func:`stitch` writes them, in order, beside the input's audio and subtitle
packets copied unchanged, with the input's rotation: one file with the same frame count, timing
and streams as the whole-file run. Every encoder uses the same codec settings (and a global
header), so the stream parameters of the first chunk describe all of them.

On a cluster a worker spools its chunk's packets to a private file (:func:`open_spool_file`,
0600) instead of returning them through Ray's object store; the stitch streams them back from
that file, so neither the driver nor the object store ever holds a whole video.
"""

from __future__ import annotations

import heapq
import os
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from veil.core.atomic import publish_written
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
SPOOL_MAGIC = b"VEILPKT1"
_RECORD = struct.Struct("<Iqq?")  # data length, pts, dts, keyframe; then the data

Packet = tuple[bytes, int, int, bool]


@dataclass
class EncodedRun:
    """One chunk's encoded video: packets (data, pts, dts, keyframe) and the stream's header.

    The packets are in ``packets``, or (``spool`` set) in that file, ``count`` of them.
    """

    packets: list[Packet] = field(default_factory=list)
    extradata: bytes = b""
    frames: int = 0
    rotation: int = 0
    count: int = 0
    spool: Path | None = None

    def iter_packets(self) -> Iterator[Packet]:
        """The packets in order, read back from the spool file if there is one."""
        if self.spool is None:
            yield from self.packets
            return
        read = 0
        try:
            with self.spool.open("rb") as spooled:
                if spooled.read(len(SPOOL_MAGIC)) != SPOOL_MAGIC:
                    raise MediaError(f"{self.spool}: not a Veil packet spool")
                while len(head := spooled.read(_RECORD.size)) == _RECORD.size:
                    size, pts, dts, key = _RECORD.unpack(head)
                    data = spooled.read(size)
                    if len(data) < size:
                        break
                    read += 1
                    yield data, pts, dts, key
        except (OSError, struct.error) as exc:
            raise MediaError(f"{self.spool}: cannot read spooled packets ({exc})") from exc
        if read != self.count:
            raise MediaError(f"{self.spool}: {read} spooled packets, expected {self.count}")


def open_spool_file(path: Path) -> BinaryIO:
    """A new private (0600) spool file for packets, its header written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    spooled = os.fdopen(fd, "wb")
    spooled.write(SPOOL_MAGIC)
    return spooled


class PacketEncoder:
    """Encodes upright frames of one chunk, as :class:`~veil.media.video.VideoWriter` would."""

    def __init__(
        self,
        info: VideoInfo,
        codec: str,
        crf: int,
        preset: str = DEFAULT_PRESET,
        *,
        spool: Path | None = None,
    ) -> None:
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
        self._spool = spool
        self._file: BinaryIO | None = None
        if spool is not None:  # written beside, renamed into place once complete
            self._file = open_spool_file(_partial(spool))

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
            packet = (bytes(p), int(p.pts), int(p.dts), bool(p.is_keyframe))
            self.run.count += 1
            if self._file is None:
                self.run.packets.append(packet)
            else:
                self._file.write(_RECORD.pack(len(packet[0]), *packet[1:]))
                self._file.write(packet[0])

    def finish(self) -> EncodedRun:
        """Flush the encoder; the chunk's packets (or their spool file) and header."""
        self._keep(self._ctx.encode(None))
        self.run.extradata = bytes(self._ctx.extradata or b"")
        if self._file is not None and self._spool is not None:
            self._file.flush()
            self._file.close()
            self._file = None
            publish_written(_partial(self._spool), self._spool)
            self.run.spool = self._spool
        return self.run

    def abort(self) -> None:
        """Drop a spool file left half written (a failed chunk)."""
        if self._file is not None and self._spool is not None:
            self._file.close()
            self._file = None
            _partial(self._spool).unlink(missing_ok=True)


def _partial(spool: Path) -> Path:
    return spool.with_name(spool.name + ".part")


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

    if not runs or not runs[0].count:
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
                    for data, pts, dts, key in run.iter_packets():
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
