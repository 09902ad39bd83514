"""Run several cameras at once, with the HTTP endpoint, until they end or a stop is requested.

:func:`run_cameras` is what ``veil stream`` calls; it is usable from Python too. It returns a
:class:`StreamSummary` whose counts add up per camera:
``frames_in == frames_out + frames_dropped`` once every camera has finished.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from veil.errors import VeilError
from veil.stream.camera import Camera, CameraConfig
from veil.stream.http import Endpoint, StreamServer
from veil.stream.metrics import CameraMetrics
from veil.stream.realtime import RealtimeRedactor
from veil.stream.recorder import SegmentInfo

RedactorFactory = Callable[[CameraConfig], RealtimeRedactor]
SegmentObserver = Callable[[SegmentInfo], None]


@dataclass
class CameraSummary:
    """What one camera did."""

    name: str
    source: str
    frames_in: int
    frames_out: int
    frames_dropped: int
    faces_redacted: int
    frames_blanked: int
    blanked_by_reason: dict[str, int]
    reconnects: int
    decode_errors: int
    detections: int
    segments: list[str]
    error: str | None
    latency_p95_le_s: float | None
    detector_mean_s: float | None

    @classmethod
    def of(cls, camera: Camera) -> CameraSummary:
        """Summarize a finished camera."""
        m = camera.metrics
        m.set("frames_in", camera.stats.frames_in)
        m.set("reconnects", camera.stats.reconnects)
        snap = m.snapshot()
        return cls(
            name=camera.name,
            source=camera.config.source.redacted_url(),
            frames_in=m.values["frames_in"],
            frames_out=m.values["frames_out"],
            frames_dropped=m.values["frames_dropped"],
            faces_redacted=m.values["faces_redacted"],
            frames_blanked=m.frames_blanked,
            blanked_by_reason={
                k.removeprefix("frames_blanked_"): v
                for k, v in m.values.items()
                if k.startswith("frames_blanked_")
            },
            reconnects=camera.stats.reconnects,
            decode_errors=camera.stats.decode_errors,
            detections=m.values["detections"],
            segments=[str(s.path) for s in camera.segments],
            error=str(camera.error) if camera.error is not None else None,
            latency_p95_le_s=snap["latency_p95_le_s"],  # type: ignore[arg-type]
            detector_mean_s=snap["detector_mean_s"],  # type: ignore[arg-type]
        )


@dataclass
class StreamSummary:
    """Every camera's summary and where the endpoint listened."""

    cameras: list[CameraSummary] = field(default_factory=list)
    url: str | None = None
    ledger_events: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[CameraSummary]:
        """Cameras that stopped on an error."""
        return [c for c in self.cameras if c.error is not None]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "url": self.url,
            "seconds": self.seconds,
            "ledger_events": self.ledger_events,
            "cameras": [vars(c) for c in self.cameras],
        }


class StreamRun:
    """Cameras, their HTTP endpoint and the stop signal, started together."""

    def __init__(
        self,
        configs: Sequence[CameraConfig],
        make_redactor: RedactorFactory,
        *,
        serve: tuple[str, int] | None = None,
        hls_root: Path | None = None,
        segment_observer: SegmentObserver | None = None,
    ) -> None:
        self._own_hls: tempfile.TemporaryDirectory[str] | None = None
        configs = list(configs)
        if any(c.restream == "hls" for c in configs) and hls_root is None:
            self._own_hls = tempfile.TemporaryDirectory(prefix="veil-hls-")
            hls_root = Path(self._own_hls.name)
        self.hls_root = hls_root
        self.cameras: list[Camera] = []
        self.endpoints: list[Endpoint] = []
        self.stop_requested = threading.Event()
        self.started = time.monotonic()
        try:
            for config in configs:
                if config.restream == "hls":
                    assert hls_root is not None
                    config = replace(config, restream=str(hls_root / config.name / "index.m3u8"))
                metrics = CameraMetrics(config.name)
                camera = Camera(
                    config,
                    make_redactor(config),
                    metrics=metrics,
                    segment_observer=segment_observer,
                )
                self.cameras.append(camera)
                hls = (
                    Path(config.restream).parent
                    if config.restream and config.restream.endswith(".m3u8")
                    else None
                )
                self.endpoints.append(Endpoint(metrics, camera.preview, hls))
            self.server = StreamServer(serve, lambda: self.endpoints) if serve else None
        except BaseException:
            self._cleanup()
            raise

    @property
    def errors(self) -> list[VeilError]:
        """Errors that stopped cameras, in camera order."""
        return [c.error for c in self.cameras if c.error is not None]

    @property
    def url(self) -> str | None:
        """The HTTP endpoint's base URL, when serving."""
        return self.server.url if self.server is not None else None

    def start(self) -> None:
        """Start serving and every camera."""
        if self.server is not None:
            self.server.start()
        for camera in self.cameras:
            camera.start()

    def stop(self) -> None:
        """Ask every camera to finish (thread- and signal-safe: only sets a flag)."""
        self.stop_requested.set()

    def wait(
        self, duration: float | None = None, tick: Callable[[StreamRun], None] | None = None
    ) -> StreamSummary:
        """Run until every camera ends, ``duration`` passes or :meth:`stop`; then finish all."""
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not all(c.finished for c in self.cameras):
                if self.stop_requested.wait(0.25):
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if tick is not None:
                    tick(self)
            for camera in self.cameras:
                camera.stop()
            for camera in self.cameras:
                camera.wait(60.0)
            return self.summary()
        finally:
            self._cleanup()

    def summary(self) -> StreamSummary:
        """Counts so far."""
        return StreamSummary(
            cameras=[CameraSummary.of(c) for c in self.cameras],
            url=self.url,
            seconds=round(time.monotonic() - self.started, 3),
        )

    def _cleanup(self) -> None:
        for camera in self.cameras:
            with contextlib.suppress(Exception):
                camera.redactor.close()
        server = getattr(self, "server", None)
        if server is not None:
            with contextlib.suppress(Exception):
                server.close()
        if self._own_hls is not None:
            with contextlib.suppress(Exception):
                self._own_hls.cleanup()
