"""Turn what the operator asked for (flags, a cameras file) into a ready :class:`StreamRun`.

The request itself is :class:`veil.stream.request.StreamRequest` (handed on from here).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from veil.errors import ConfigError
from veil.media.streams import Transport, describe_source
from veil.run_context import open_run
from veil.stream.camera import CameraConfig
from veil.stream.config import load_stream_file
from veil.stream.encoding import EncoderSettings
from veil.stream.events import SegmentEvents
from veil.stream.http import parse_listen
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.stream.request import StreamRequest
from veil.stream.runner import StreamRun
from veil.trace import RunTrace
from veil.vision.detectors import get_detector
from veil.vision.policy import FacePolicy
from veil.vision.regions import warm_up
from veil.vision.tracking import TrackerSettings

__all__ = ["BuiltRun", "StreamRequest", "build_run", "camera_configs"]


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
            full_every=request.options.full_every,
            adapt=request.adapt,
        )
        options = request.options

        def make_redactor(config: CameraConfig) -> RealtimeRedactor:
            detector = get_detector(options.detector, options.detection)
            detector.detect(np.zeros((360, 640, 3), np.uint8))  # load the model before frames
            if options.full_every > 1:  # and plan every regional canvas size
                warm_up(detector.detect)
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
