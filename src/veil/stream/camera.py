"""One camera: source -> realtime redaction -> sinks, on three threads.

The source thread decodes (and reconnects); the redaction thread is the only place frames are
turned into :class:`RedactedFrame` objects, and the sink thread accepts nothing else, so no raw
frame can reach the recorder, the restream or the preview. A saturated pipeline drops frames
before redaction (counted) rather than ever passing one through unchecked.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veil.core.frame import Frame
from veil.errors import VeilError
from veil.media.streams import (
    Discontinuity,
    LiveFrame,
    LivePacket,
    LiveSource,
    SourceKind,
    SourceSpec,
    SourceStats,
)
from veil.stream.degrade import SinkShedding
from veil.stream.encoding import EncoderSettings, encoder_frame, text_of
from veil.stream.metrics import CameraMetrics
from veil.stream.preview import PreviewFrame
from veil.stream.realtime import BlankReason, Outcome, RealtimeRedactor
from veil.stream.recorder import DEFAULT_SEGMENT_SECONDS, SegmentInfo, SegmentRecorder
from veil.stream.restream import MuxerSink

log = logging.getLogger("veil.stream")

_QUEUE_FRAMES = 48  # a file read as fast as possible: the reader waits for the redactor
_LIVE_QUEUE_FRAMES = 8  # a live source: a short queue bounds latency; overflow is dropped
_END = object()


@dataclass(frozen=True)
class CameraConfig:
    """Where one camera's frames come from and where its redacted frames go.

    ``record``: folder for rolling MP4 segments (``None``: no recording). ``restream``: an
    ``.m3u8`` path (HLS, served by ``--serve``) or an ``rtsp://``/``udp://``/``rtmp://`` URL to push
    to. ``preview``: keep the latest frame for the MJPEG preview.
    """

    name: str
    source: SourceSpec
    record: Path | None = None
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    restream: str | None = None
    preview: bool = True
    audio: bool = True
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    min_free_bytes: int = 64 * 1024 * 1024


@dataclass
class RedactedFrame:
    """A frame that went through :class:`RealtimeRedactor` (the only kind sinks accept)."""

    pixels: Frame
    time: float
    arrival: float
    outcome: Outcome


RedactorFactory = Callable[[], RealtimeRedactor]


class Camera:
    """Runs one camera until its source ends, :meth:`stop` is called, or a sink fails."""

    def __init__(
        self,
        config: CameraConfig,
        redactor: RealtimeRedactor,
        *,
        metrics: CameraMetrics | None = None,
        segment_observer: Callable[[SegmentInfo], None] | None = None,
    ) -> None:
        self.config = config
        self.redactor = redactor
        self.metrics = metrics or CameraMetrics(config.name)
        self.stats = SourceStats()
        self.source = LiveSource(config.source, audio=config.audio, stats=self.stats)
        self.preview = PreviewFrame() if config.preview else None
        self.segments: list[SegmentInfo] = []
        self._segment_observer = segment_observer
        self.recorder = (
            SegmentRecorder(
                config.record,
                config.name,
                segment_seconds=config.segment_seconds,
                encoder=config.encoder,
                min_free_bytes=config.min_free_bytes,
                observer=self._segment_closed,
            )
            if config.record is not None
            else None
        )
        self.restream = (
            MuxerSink(config.restream, encoder=config.encoder) if config.restream else None
        )
        self.error: VeilError | None = None
        self._drop_when_full = config.source.realtime or config.source.kind is not SourceKind.FILE
        # Degradation sheds only what this camera has; a file read as fast as it is processed
        # keeps no clock, so it is never degraded (veil blur's redactions, frame for frame).
        redactor.degrader.fit(
            preview=self.preview is not None,
            restream=self.restream is not None,
            paced=self._drop_when_full,
        )
        self._shedding = SinkShedding(redactor.degrader)
        size = _LIVE_QUEUE_FRAMES if self._drop_when_full else _QUEUE_FRAMES
        self._raw: queue.Queue[Any] = queue.Queue(size)
        self._redacted: queue.Queue[Any] = queue.Queue(size)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, name=f"veil-src-{config.name}", daemon=True),
            threading.Thread(target=self._redact, name=f"veil-redact-{config.name}", daemon=True),
            threading.Thread(target=self._sink, name=f"veil-sink-{config.name}", daemon=True),
        ]
        self._done = threading.Event()

    @property
    def name(self) -> str:
        """The camera's name."""
        return self.config.name

    def start(self) -> None:
        """Start the camera's threads."""
        self.metrics.state = "connecting"
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Finish soon: stop reading, redact and write what is queued, close the segment."""
        self._stop.set()
        self.source.stop()
        self._put(self._raw, _END, force=True)  # do not wait for a blocked network read

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the camera has finished; True when it has."""
        return self._done.wait(timeout)

    @property
    def finished(self) -> bool:
        """Whether the sinks are closed."""
        return self._done.is_set()

    # -- threads ---------------------------------------------------------------------------

    def _read(self) -> None:
        try:
            for item in self.source.items():
                if self._stop.is_set():
                    break
                self._offer(item)
        except VeilError as exc:
            self._fail(exc)
        except Exception as exc:  # an unexpected source failure ends this camera, clearly
            self._fail(VeilError(f"{self.name}: source failed ({text_of(exc)})"))
        finally:
            self._put(self._raw, _END, force=True)

    def _offer(self, item: Any) -> None:
        if isinstance(item, LiveFrame):
            self.metrics.set("frames_in", self.stats.frames_in)
            if self._drop_when_full:
                try:
                    self._raw.put_nowait(item)
                except queue.Full:
                    self.metrics.add("frames_dropped")  # never reaches a sink
                return
        self._put(self._raw, item)

    def _redact(self) -> None:
        try:
            while True:
                item = self._raw.get()
                if item is _END:
                    break
                if isinstance(item, LiveFrame):
                    self._put(self._redacted, self._redact_frame(item))
                elif isinstance(item, Discontinuity):
                    self.redactor.reset()
                    self.metrics.set("reconnects", self.stats.reconnects)
                    self._put(self._redacted, item)
                elif isinstance(item, LivePacket) and self.config.audio:
                    self._put(self._redacted, item)
        except Exception as exc:
            self._fail(VeilError(f"{self.name}: redaction stopped ({text_of(exc)})"))
            self.source.stop()
        finally:
            self._put(self._redacted, _END, force=True)

    def _redact_frame(self, item: LiveFrame) -> RedactedFrame:
        if not self._drop_when_full:
            item.arrival = time.monotonic()  # a file read as fast as possible: no wall clock
        try:
            outcome = self.redactor.process(item.pixels, item.time, item.arrival, item.corrupt)
        except Exception:  # fail closed: a frame the redactor could not handle leaves blank
            item.pixels[...] = 0
            outcome = Outcome(blanked=BlankReason.DETECTOR)
        m = self.metrics
        if outcome.detected:
            m.add("detections")
        if outcome.detector_seconds is not None:
            m.observe_detector(outcome.detector_seconds)
        if outcome.blanked is not None:
            m.add(f"frames_blanked_{outcome.blanked.value}")
        m.add("faces_redacted", outcome.faces_redacted)
        m.detection_side = self.redactor.degrader.side or max(item.pixels.shape[:2])
        m.detect_every = self.redactor.degrader.detect_every
        return RedactedFrame(item.pixels, item.time, item.arrival, outcome)

    def _sink(self) -> None:
        try:
            while True:
                item = self._redacted.get()
                if item is _END:
                    break
                if isinstance(item, RedactedFrame):
                    self._write(item)
                elif isinstance(item, Discontinuity):
                    self._reopen(item)
                elif isinstance(item, LivePacket):
                    self._write_audio(item)
            if self.recorder is not None:
                self.recorder.close()
        except VeilError as exc:
            self._fail(exc)
            if self.recorder is not None:
                self.recorder.abort()
            self.source.stop()
            self._stop.set()
            self._drain()
        finally:
            self._sink_stopped()

    def _reopen(self, item: Discontinuity) -> None:
        """The source (re)connected: streaming again, the sinks take its fps and audio."""
        self.metrics.up = True
        self.metrics.state = "streaming"
        if self.recorder is not None:
            self.recorder.discontinuity()
            self.recorder.fps = item.fps
            self.recorder.set_audio(item.audio)
        if self.restream is not None:
            self.restream.fps = item.fps
            self.restream.set_audio(item.audio)

    def _sink_stopped(self) -> None:
        """Close the restream and mark the camera down (stopped unless it failed)."""
        if self.restream is not None:
            self.restream.close()
        self.metrics.up = False
        if self.error is None:
            self.metrics.state = "stopped"
        self._done.set()

    def _write(self, frame: RedactedFrame) -> None:
        outcome = frame.outcome
        restream = self.restream is not None and self._shedding.restream_due()
        if self.recorder is not None or restream:
            encoded = encoder_frame(frame.pixels)
            if self.recorder is not None:
                self.recorder.write(
                    encoded,
                    frame.time,
                    faces_redacted=outcome.faces_redacted,
                    blanked=outcome.blanked is not None,
                )
            if restream and self.restream is not None and self.restream.failed is None:
                try:
                    self.restream.write(encoded, frame.time)
                except VeilError as exc:  # the recording goes on without the restream
                    self.restream.failed = str(exc)
                    log.error("%s: restream stopped: %s", self.name, exc)
        if self.preview is not None and self._shedding.preview_due(frame.time):
            self.preview.update(frame.pixels)
        self.metrics.add("frames_out")
        self.metrics.observe_latency(time.monotonic() - frame.arrival)

    def _write_audio(self, item: LivePacket) -> None:
        if self.recorder is not None:
            self.recorder.write_audio(item)
        if self.restream is not None and self.restream.failed is None:
            self.restream.write_audio(item)
        self.metrics.add("audio_packets")

    def _segment_closed(self, info: SegmentInfo) -> None:
        self.segments.append(info)
        self.metrics.add("segments_closed")
        if self._segment_observer is not None:
            self._segment_observer(info)

    # -- helpers ---------------------------------------------------------------------------

    def _fail(self, exc: VeilError) -> None:
        if self.error is None:
            self.error = exc
            self.metrics.error = str(exc)
            self.metrics.state = "failed"
            log.error("%s: %s", self.name, exc)

    def _put(self, q: queue.Queue[Any], item: Any, force: bool = False) -> None:
        while True:
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                if self._done.is_set():
                    return
                if force:
                    with contextlib.suppress(queue.Empty):
                        dropped = q.get_nowait()  # make room for the end marker
                        if isinstance(dropped, LiveFrame | RedactedFrame):
                            self.metrics.add("frames_dropped")

    def _drain(self) -> None:
        """After a sink failure: consume what is left so the other threads can finish."""
        while True:
            item = self._redacted.get()
            if item is _END:
                return
