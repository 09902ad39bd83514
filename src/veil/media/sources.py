"""What a live source is: :func:`describe_source` classifies what the user named.

RTSP over TCP or UDP, HTTP/HLS, UDP MPEG-TS, a local capture device, or a file played at its own
rate; :class:`SourceSpec` says what to open and how (:class:`veil.media.streams.LiveSource`
opens it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from veil.errors import ConfigError

__all__ = ["SourceKind", "SourceSpec", "Transport", "describe_source"]


class SourceKind(StrEnum):
    """Kinds of live source Veil reads."""

    RTSP = "rtsp"
    HTTP = "http"  # HTTP(S) streams, including HLS playlists
    UDP = "udp"  # MPEG-TS over UDP (unicast or multicast)
    DEVICE = "device"  # a local capture device (V4L2 on Linux)
    FILE = "file"  # a file played at its own rate


class Transport(StrEnum):
    """RTSP transport."""

    TCP = "tcp"
    UDP = "udp"


@dataclass(frozen=True)
class SourceSpec:
    """What to open and how.

    ``realtime``: pace a file at its own frame rate (live sources are paced by the sender).
    ``loop``: play a file again when it ends. ``max_reconnects``: give up after that many
    reconnections in a row without a frame (``None``: never). ``timeout``: seconds without data
    before a connection counts as lost.
    """

    url: str
    kind: SourceKind
    transport: Transport = Transport.TCP
    realtime: bool = True
    loop: bool = False
    timeout: float = 5.0
    max_reconnects: int | None = None
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    device_format: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def reconnects(self) -> bool:
        """Whether the source is reopened when it fails or ends."""
        return self.kind is not SourceKind.FILE

    def redacted_url(self) -> str:
        """The URL with any password hidden (for logs and health output)."""
        return re.sub(r"(://[^:/@]+:)[^@/]+@", r"\1***@", self.url)


def describe_source(
    source: str,
    *,
    transport: Transport = Transport.TCP,
    realtime: bool = True,
    loop: bool = False,
    timeout: float = 5.0,
    max_reconnects: int | None = None,
) -> SourceSpec:
    """Classify ``source`` (a URL, a device path such as ``/dev/video0``, or a file)."""
    lowered = source.lower()
    scheme = lowered.split("://", 1)[0] if "://" in lowered else ""
    device_format: str | None = None
    if scheme in {"rtsp", "rtsps"}:
        kind = SourceKind.RTSP
    elif scheme in {"http", "https"}:
        kind = SourceKind.HTTP
    elif scheme in {"udp", "rtp", "srt", "tcp"}:
        kind = SourceKind.UDP
    elif scheme in {"device", "v4l2"}:
        kind = SourceKind.DEVICE
        source = source.split("://", 1)[1]
        device_format = "v4l2"
    elif lowered.startswith("/dev/video"):
        kind = SourceKind.DEVICE
        device_format = "v4l2"
    elif scheme in {"", "file"}:
        path = Path(source.split("://", 1)[1] if scheme else source)
        if not path.is_file():
            raise ConfigError(
                f"{source}: no such file, and not a stream URL (rtsp://, udp://, ...)"
            )
        kind = SourceKind.FILE
        source = str(path)
    else:
        raise ConfigError(
            f"{source}: unsupported source (use rtsp://, http(s)://, udp://, /dev/videoN or a file)"
        )
    if timeout <= 0:
        raise ConfigError("source timeout must be positive")
    return SourceSpec(
        source,
        kind,
        transport=transport,
        realtime=realtime,
        loop=loop,
        timeout=timeout,
        max_reconnects=max_reconnects,
        device_format=device_format,
    )
