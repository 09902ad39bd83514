"""The live restream: the redacted video (and audio) as HLS in a served folder, or pushed to a URL."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from veil.errors import ConfigError, MediaError
from veil.media.streams import LivePacket
from veil.stream.encoding import OUTPUT_TIME_BASE, EncoderSettings, add_video_stream, text_of

log = logging.getLogger("veil.stream")


def restream_format(url: str) -> str:
    """The muxer for a restream target: HLS for ``.m3u8`` paths, else by URL scheme."""
    lowered = url.lower()
    if lowered.endswith(".m3u8"):
        return "hls"
    scheme = lowered.split("://", 1)[0] if "://" in lowered else ""
    formats = {"rtsp": "rtsp", "rtmp": "flv", "udp": "mpegts", "srt": "mpegts", "tcp": "mpegts"}
    if scheme not in formats:
        raise ConfigError(
            f"{url}: unsupported restream target (use .m3u8, rtsp://, rtmp://, udp://)"
        )
    return formats[scheme]


class MuxerSink:
    """A live restream: HLS into a folder (``index.m3u8``) or a push to an RTSP/RTMP/UDP URL.

    The output keeps its first frame size (later frames are scaled to it), so viewers see one
    continuous stream across reconnections and resolution changes.
    """

    def __init__(
        self,
        target: str,
        *,
        encoder: EncoderSettings | None = None,
        fps: float = 25.0,
        hls_seconds: float = 1.0,
        hls_list_size: int = 6,
    ) -> None:
        self.target = target
        self.format = restream_format(target)
        self.encoder = encoder or EncoderSettings(gop_seconds=hls_seconds)
        self.fps = fps
        self.hls_seconds = hls_seconds
        self.hls_list_size = hls_list_size
        self.frames = 0
        self.audio_packets = 0
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._audio_template: Any = None
        self._size: tuple[int, int] | None = None
        self._origin: float | None = None
        self._last_pts = -1
        self.failed: str | None = None

    def set_audio(self, audio: Any) -> None:
        """The audio stream to copy (used when the output opens)."""
        if self._container is None:
            self._audio_template = audio

    def _open(self, width: int, height: int) -> None:
        import av

        options: dict[str, str] = {}
        if self.format == "hls":
            folder = Path(self.target).parent
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.ts"):
                old.unlink(missing_ok=True)
            options = {
                "hls_time": str(self.hls_seconds),
                "hls_list_size": str(self.hls_list_size),
                "hls_flags": "delete_segments+independent_segments+temp_file",
                "hls_segment_filename": str(folder / "segment-%06d.ts"),
            }
        elif self.format == "rtsp":
            options = {"rtsp_transport": "tcp"}
        try:
            self._container = av.open(
                self.target, mode="w", format=self.format, options=options, timeout=(5.0, 5.0)
            )
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{self.target}: cannot open restream ({text_of(exc)})") from exc
        self._video = add_video_stream(self._container, self.encoder, width, height, self.fps)
        if self._audio_template is not None:
            try:
                self._audio = self._container.add_stream_from_template(self._audio_template)
            except (av.FFmpegError, ValueError) as exc:
                log.warning("audio not restreamable (%s)", exc)
        self._size = (width, height)

    def write(self, frame: Any, stamp: float) -> None:
        """Encode one redacted ``av.VideoFrame`` (yuv420p) at ``stamp`` seconds."""
        import av

        if self._container is None:
            self._open(frame.width, frame.height)
        assert self._size is not None
        if (frame.width, frame.height) != self._size:
            frame = frame.reformat(width=self._size[0], height=self._size[1], format="yuv420p")
        if self._origin is None:
            self._origin = stamp
        pts = max(self._last_pts + 1, round((stamp - self._origin) / OUTPUT_TIME_BASE))
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = OUTPUT_TIME_BASE
        try:
            self._container.mux(self._video.encode(frame))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{self.target}: restream failed ({text_of(exc)})") from exc
        self.frames += 1

    def write_audio(self, item: LivePacket) -> None:
        """Copy an audio packet (dropped when it cannot be placed)."""
        import av

        if self._audio is None or self._origin is None:
            return
        packet = item.packet
        offset = item.time - self._origin
        if offset < 0:
            return
        duration = packet.dts - packet.pts if packet.dts is not None else 0
        packet.pts = round(offset / packet.time_base)
        packet.dts = packet.pts + duration
        packet.stream = self._audio
        with contextlib.suppress(av.FFmpegError, ValueError):
            self._container.mux(packet)
            self.audio_packets += 1

    def close(self) -> None:
        """Flush and close the output."""
        if self._container is None:
            return
        container, self._container = self._container, None
        with contextlib.suppress(Exception):
            container.mux(self._video.encode(None))
        with contextlib.suppress(Exception):
            container.close()
