"""Live sources for ``veil stream`` (PyAV: FFmpeg's libraries, no ffmpeg binary at run time).

:func:`describe_source` (:mod:`veil.media.sources`) classifies what the user named (RTSP,
HTTP/HLS, UDP MPEG-TS, a capture device, or a file played at its own rate) and
:class:`LiveSource` opens it, decodes upright BGR frames and passes audio packets through
untouched. A network or device source that fails or ends is reopened with exponential backoff;
each (re)connection is announced with a :class:`Discontinuity` item so sinks start a new segment.
Timestamps are made continuous and increasing across reconnections and file loops. Frames the
decoder marks as corrupt are flagged, so the realtime redactor can blank them (fail closed). The
sinks live in :mod:`veil.stream`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from veil.core.frame import Frame
from veil.errors import MediaError
from veil.media.sources import SourceKind, SourceSpec, Transport, describe_source

__all__ = [
    "Discontinuity",
    "LiveFrame",
    "LivePacket",
    "LiveSource",
    "SourceItem",
    "SourceKind",
    "SourceSpec",
    "SourceStats",
    "Transport",
    "describe_source",
]

log = logging.getLogger("veil.stream")


@dataclass
class LiveFrame:
    """One decoded frame: upright BGR pixels and its place on the continuous source timeline.

    ``time`` is seconds since the stream started (increasing across reconnections), ``arrival``
    the ``time.monotonic()`` at which it was decoded, ``connection`` counts (re)connections,
    ``corrupt`` is set when the decoder reported damage (missing references, broken slices).
    """

    pixels: Frame
    time: float
    arrival: float
    index: int
    connection: int
    corrupt: bool = False


@dataclass
class LivePacket:
    """An audio packet passed through untouched; ``time`` on the same timeline as frames."""

    packet: Any
    time: float
    connection: int


@dataclass
class Discontinuity:
    """The source was (re)connected: sinks close their segment.

    ``audio`` is the new input audio stream (or ``None``), ``fps`` the source's frame rate.
    """

    connection: int
    audio: Any
    reason: str
    fps: float = 25.0


SourceItem = LiveFrame | LivePacket | Discontinuity


class SourceStats:
    """Counters a source updates (read by the metrics endpoint)."""

    def __init__(self) -> None:
        self.frames_in = 0
        self.audio_packets_in = 0
        self.reconnects = 0
        self.decode_errors = 0
        self.connected = False
        self.last_error: str | None = None


class LiveSource:
    """Read a live source as a stream of :data:`SourceItem`; reconnect on failure.

    Iterate :meth:`items` from one thread; :meth:`stop` (any thread) ends the iteration at the
    next packet or backoff step.
    """

    def __init__(
        self,
        spec: SourceSpec,
        *,
        audio: bool = True,
        stats: SourceStats | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.spec = spec
        self.audio = audio
        self.stats = stats or SourceStats()
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._retired: list[
            Any
        ] = []  # closed one reconnection later: packets may still be in flight
        self._index = 0
        self._time_offset = 0.0
        self._last_time = -1.0
        self._frame_step = 1 / 25

    def _text(self, exc: BaseException) -> str:
        """An error as one line, with any password in the source URL hidden."""
        return _text(exc).replace(self.spec.url, self.spec.redacted_url())

    def stop(self) -> None:
        """Ask :meth:`items` to end soon."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def _open(self) -> Any:
        import av

        spec = self.spec
        options = dict(spec.options)
        fmt: str | None = None
        if spec.kind is SourceKind.RTSP:
            options.setdefault("rtsp_transport", spec.transport.value)
            options.setdefault("max_delay", "500000")
        elif spec.kind is SourceKind.UDP and spec.url.lower().startswith("udp://"):
            options.setdefault("overrun_nonfatal", "1")
            options.setdefault("fifo_size", "278876")  # in 188-byte packets: about 50 MB
        elif spec.kind is SourceKind.DEVICE:
            fmt = spec.device_format
        if spec.kind is not SourceKind.FILE:
            # Probing buffers up to 5 s of a live stream by default, then hands it over in one
            # burst; one second is enough to find H.264/AAC parameters and keeps start-up short.
            options.setdefault("analyzeduration", "1000000")
            options.setdefault("probesize", "2000000")
        timeout = (spec.timeout * 2, spec.timeout)
        try:
            return av.open(spec.url, mode="r", format=fmt, options=options, timeout=timeout)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(f"{spec.redacted_url()}: cannot open ({self._text(exc)})") from exc

    def items(self) -> Iterator[SourceItem]:
        """Yield frames, audio packets and discontinuities until stopped or the source ends."""
        connection = 0
        backoff = _Backoff(0, self.spec.backoff_initial)
        while not self._stop.is_set():
            try:
                container = self._open()
            except MediaError as exc:
                self._open_failed(exc, backoff)
                continue
            connection += 1
            if connection > 1:
                self.stats.reconnects += 1
            produced = yield from self._connected(container, connection, backoff)
            if not self.spec.reconnects:
                if self.spec.loop and produced and not self._stop.is_set():
                    continue
                return
            if self._stop.is_set() or not self._reconnect_after(produced, backoff):
                return
        self._close_all()

    def _open_failed(self, exc: MediaError, backoff: _Backoff) -> None:
        """An open failed: raise it when not reconnecting or out of attempts, else back off."""
        self.stats.last_error = str(exc)
        if not self.spec.reconnects:
            raise exc
        backoff.failures += 1
        if self.spec.max_reconnects is not None and backoff.failures > self.spec.max_reconnects:
            raise MediaError(
                f"{self.spec.redacted_url()}: gave up after {backoff.failures - 1} reconnection "
                f"attempts ({exc})"
            ) from exc
        log.warning("%s; retrying in %.1f s", exc, backoff.delay)
        self._wait(backoff)

    def _connected(
        self, container: Any, connection: int, backoff: _Backoff
    ) -> Generator[SourceItem, None, int]:
        """Yield one connection's items; returns how many frames it produced."""
        produced = 0
        try:
            for item in self._read(container, connection):
                if isinstance(item, LiveFrame):
                    produced += 1
                    if produced == 1:
                        backoff.failures = 0
                        backoff.delay = self.spec.backoff_initial
                yield item
        except MediaError as exc:
            self.stats.last_error = str(exc)
            if not self.spec.reconnects:
                raise
            log.warning("%s", exc)
        finally:
            self.stats.connected = False
            self._retire(container)
        return produced

    def _reconnect_after(self, produced: int, backoff: _Backoff) -> bool:
        """After a lost connection: False to end, True after waiting to reconnect; raises
        MediaError when connections keep producing no frames past max_reconnects."""
        limit = self.spec.max_reconnects
        if produced == 0:
            backoff.failures += 1
            if limit is not None and backoff.failures > limit:
                raise MediaError(
                    f"{self.spec.redacted_url()}: no frames after "
                    f"{backoff.failures - 1} reconnection attempts"
                )
        elif limit is not None and limit == 0:
            return False
        log.warning(
            "%s: connection lost; reconnecting in %.1f s", self.spec.redacted_url(), backoff.delay
        )
        self._wait(backoff)
        return True

    def _wait(self, backoff: _Backoff) -> None:
        self._sleep(backoff.delay)
        backoff.delay = min(backoff.delay * 2, self.spec.backoff_max)

    def _retire(self, container: Any) -> None:
        while self._retired:
            with contextlib.suppress(Exception):
                self._retired.pop(0).close()
        self._retired.append(container)

    def _close_all(self) -> None:
        for container in self._retired:
            with contextlib.suppress(Exception):
                container.close()
        self._retired = []

    def _read(self, container: Any, connection: int) -> Iterator[SourceItem]:
        import av

        if not container.streams.video:
            raise MediaError(f"{self.spec.redacted_url()}: no video stream")
        video = container.streams.video[0]
        # Frame threading holds back as many frames as it has threads: live sources use slices.
        video.thread_type = "AUTO" if self.spec.kind is SourceKind.FILE else "SLICE"
        audio = container.streams.audio[0] if (self.audio and container.streams.audio) else None
        rate = video.average_rate or video.guessed_rate or video.base_rate
        if rate:
            self._frame_step = min(1.0, max(1 / 120, float(1 / Fraction(rate))))
        self.stats.connected = True
        self.stats.last_error = None
        yield Discontinuity(
            connection,
            audio,
            "connected" if connection == 1 else "reconnected",
            fps=round(1 / self._frame_step, 3),
        )
        timing = _Timing(self._last_time + self._frame_step if self._last_time >= 0 else 0.0)
        streams = [video] if audio is None else [video, audio]
        try:
            for packet in container.demux(streams):
                if self._stop.is_set():
                    return
                if packet.stream is video:
                    try:
                        frames = packet.decode()
                    except av.FFmpegError:
                        self.stats.decode_errors += 1  # a corrupt packet: skip it, keep going
                        continue
                    for decoded in frames:
                        frame = self._frame(decoded, timing, connection)
                        if frame is None:
                            return
                        yield frame
                        self._index += 1
                        self.stats.frames_in += 1
                elif (
                    packet.dts is not None and packet.pts is not None and timing.origin is not None
                ):
                    raw = _seconds(packet.pts, packet.time_base)
                    stamp = timing.base + (raw if raw is not None else 0.0) - timing.origin
                    self.stats.audio_packets_in += 1
                    yield LivePacket(packet, stamp, connection)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise MediaError(
                f"{self.spec.redacted_url()}: stream failed ({self._text(exc)})"
            ) from exc

    def _frame(self, decoded: Any, timing: _Timing, connection: int) -> LiveFrame | None:
        """A decoded frame on the source's timeline (paced for a realtime file); None when
        stopped while pacing."""
        raw = _seconds(decoded.pts, decoded.time_base)
        if timing.origin is None:
            timing.origin = raw if raw is not None else 0.0
        if raw is None:
            stamp = self._last_time + self._frame_step
        else:
            stamp = timing.base + raw - timing.origin
        stamp = max(stamp, self._last_time + 1e-4)
        if self.spec.realtime and self.spec.kind is SourceKind.FILE:
            now = time.monotonic()
            if timing.wall_origin is None:
                timing.wall_origin = now - stamp
            wait = timing.wall_origin + stamp - now
            if wait > 0 and self._stop.wait(wait):
                return None
        self._last_time = stamp
        return LiveFrame(
            _to_bgr(decoded),
            stamp,
            time.monotonic(),
            self._index,
            connection,
            corrupt=bool(getattr(decoded, "is_corrupt", False)),
        )


@dataclass
class _Backoff:
    """Reconnection state: failed attempts in a row and the next wait in seconds."""

    failures: int
    delay: float


@dataclass
class _Timing:
    """One connection's timeline: its start on the source's clock (base), its first frame's
    time (origin) and, pacing a realtime file, the wall clock at time zero."""

    base: float
    origin: float | None = None
    wall_origin: float | None = None


def _seconds(pts: int | None, time_base: Fraction | None) -> float | None:
    if pts is None or time_base is None:
        return None
    return float(pts * time_base)


def _to_bgr(frame: Any) -> Frame:
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    pixels = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
    if rotation:
        pixels = np.ascontiguousarray(np.rot90(pixels, k=-rotation // 90))
    return pixels


def _text(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
