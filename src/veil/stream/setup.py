"""Turn what the operator asked for (flags, a cameras file) into a ready :class:`StreamRun`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from veil.errors import ConfigError
from veil.media.streams import Transport, describe_source
from veil.pipeline import AnonymizeOptions
from veil.run_context import open_run
from veil.stream.camera import CameraConfig
from veil.stream.config import load_stream_file
from veil.stream.encoding import EncoderSettings
from veil.stream.events import DEFAULT_PURPOSE, SYSTEM, SegmentEvents
from veil.stream.http import parse_listen
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.stream.runner import StreamRun
from veil.trace import RunTrace, TraceSettings, trace_settings
from veil.vision.detectors import get_detector
from veil.vision.policy import FacePolicy, FacePolicySpec
from veil.vision.tracking import TrackerSettings


@dataclass(frozen=True)
class StreamRequest:
    """Everything ``veil stream`` was asked (one field per flag).

    ``purpose`` keeps the faces of people who consented to it (the consent gate, opened as
    ``veil gate`` opens it); a Python caller may pass any other ``policy`` spec instead.
    """

    source: str | None
    cameras_file: Path | None = None
    name: str = "camera"
    record: Path | None = None
    serve: str | None = None
    restream: str | None = None
    hls_dir: Path | None = None
    segment_seconds: float = 60.0
    transport: str = "tcp"
    max_latency: float = 0.5
    adapt: bool = True
    realtime: bool = True
    loop: bool = False
    max_reconnects: int | None = None
    timeout: float = 5.0
    purpose: str | None = None
    ledger: bool = False
    db: str | None = None
    controller: str | None = None  # None: the ledger's origin
    legal_basis: str = "other_law"
    crf: int = 23
    preset: str = "ultrafast"
    options: AnonymizeOptions = field(default_factory=AnonymizeOptions)
    policy: FacePolicySpec | None = None

    def policy_spec(self) -> FacePolicySpec | None:
        """The face policy to open: ``policy``, else the consent gate for ``purpose``."""
        if self.policy is not None or not self.purpose:
            return self.policy
        from veil.consent.gate_spec import GatePolicySpec

        return GatePolicySpec(self.purpose, db_url=self.db)

    def trace(self) -> TraceSettings | None:
        """The event sink's settings (``None``: not traced); a consent purpose is the basis."""
        settings = trace_settings(
            self.ledger,
            SYSTEM,
            self.controller,
            self.db,
            purpose=self.purpose or DEFAULT_PURPOSE,
            legal_basis="consent" if self.purpose else self.legal_basis,
        )
        return None if settings is None else replace(settings, create=True)  # a camera makes one


@dataclass
class BuiltRun:
    """A run and what must be closed after it."""

    run: StreamRun
    trace: RunTrace | None
    resources: contextlib.ExitStack

    @property
    def ledger_events(self) -> int:
        """Events appended so far."""
        return self.trace.appended if self.trace is not None else 0

    def close(self) -> None:
        """Close the consent gate, the registry and the ledger."""
        self.resources.close()


def camera_configs(request: StreamRequest) -> tuple[list[CameraConfig], str | None]:
    """The cameras to run and the ``--serve`` address (the file's when the flag is absent)."""
    encoder = EncoderSettings(crf=request.crf, preset=request.preset)
    serve = request.serve
    if request.cameras_file is None:
        assert request.source is not None
        spec = describe_source(
            request.source,
            transport=Transport(request.transport),
            realtime=request.realtime,
            loop=request.loop,
            timeout=request.timeout,
            max_reconnects=request.max_reconnects,
        )
        config = CameraConfig(
            name=request.name,
            source=spec,
            record=request.record,
            segment_seconds=request.segment_seconds,
            restream=request.restream,
            audio=request.options.keep_audio,
            encoder=encoder,
        )
        return [config], serve
    document = load_stream_file(request.cameras_file)
    base = request.record or document.record
    serve = serve or document.serve
    configs = []
    for entry in document.cameras:
        spec = describe_source(
            entry.source,
            transport=Transport(entry.transport),
            realtime=request.realtime,
            loop=entry.loop or request.loop,
            timeout=entry.timeout,
            max_reconnects=request.max_reconnects,
        )
        record = entry.record or (base / entry.name if base is not None else None)
        configs.append(
            CameraConfig(
                name=entry.name,
                source=spec,
                record=record,
                segment_seconds=entry.segment_seconds
                or document.segment_seconds
                or request.segment_seconds,
                restream=entry.restream or request.restream,
                preview=entry.preview,
                audio=entry.audio and request.options.keep_audio,
                encoder=encoder,
            )
        )
    return configs, serve


def build_run(request: StreamRequest) -> BuiltRun:
    """Check the request, open the face policy and the event sink, and build the run."""
    configs, serve = camera_configs(request)
    for config in configs:
        if config.record is None and config.restream is None and serve is None:
            raise ConfigError(
                f"camera {config.name!r} has nowhere to go: give --record, --restream or --serve"
            )
        if config.restream == "hls" and serve is None:
            raise ConfigError("--restream hls is served over HTTP: add --serve HOST:PORT")
    address = parse_listen(serve) if serve else None
    stack = contextlib.ExitStack()
    try:
        # The face policy and the event sink, opened as a batch run opens them.
        context = open_run(stack, policy=request.policy_spec(), trace=request.trace())
        policy: FacePolicy = context.policy
        segments = SegmentEvents(context.trace) if context.trace is not None else None
        settings = RealtimeSettings(
            max_latency=request.max_latency,
            detect_every=request.options.detect_every,
            max_detect_every=max(4, request.options.detect_every),
            adapt=request.adapt,
        )
        options = request.options

        def make_redactor(config: CameraConfig) -> RealtimeRedactor:
            detector = get_detector(options.detector, options.detection)
            detector.detect(np.zeros((360, 640, 3), np.uint8))  # load the model before frames
            return RealtimeRedactor(
                detector,
                detection=options.detection,
                redaction=options.redaction,
                tracking=options.tracking or TrackerSettings(),
                policy=policy,
                settings=settings,
            )

        run = StreamRun(
            configs,
            make_redactor,
            serve=address,
            hls_root=request.hls_dir,
            segment_observer=segments,
        )
    except BaseException:
        stack.close()
        raise
    return BuiltRun(run, context.trace, stack)
