"""The anonymization pipeline: source -> detect -> track -> policy -> redact -> sink.

:class:`Anonymizer` processes images and video files with one :class:`veil.framestep.FrameStep`
per frame (the step live streams run too); :func:`plan_outputs` (:mod:`veil.planning`) maps
inputs (files and folders, mirrored) to outputs; :func:`run_batch` processes a whole batch and
never stops at one bad file. The pipeline depends only on ``veil.vision`` and ``veil.media``:
the face policy (default: redact every face) and the frame observer (e.g. ``--boxes-out``) are
passed in.

Fail closed: when detection (or its output) fails on a frame, the whole frame is redacted and
counted; an output is written under a temporary name and renamed only when complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from veil.core.atomic import atomic_output
from veil.detection_schedule import FULL_EVERY, DetectionSchedule
from veil.errors import ConfigError, VeilError
from veil.framestep import FrameStep
from veil.media.images import read_image, write_image
from veil.media.video import (
    DEFAULT_CRF,
    DEFAULT_PRESET,
    X264_PRESETS,
    VideoFrame,
    VideoReader,
    VideoWriter,
)
from veil.planning import MEDIA_SUFFIXES, Job, default_output, media_kind, plan_outputs
from veil.results import BatchSummary, FileResult, MediaKind, Status
from veil.videoflow import run_overlapped
from veil.vision.detections import Detections
from veil.vision.detectors import DEFAULT_DETECTOR, Detector, DetectorSettings, get_detector
from veil.vision.policy import FaceDecisions, FacePolicy, Frame, RedactAll
from veil.vision.quality import photo_and_video, with_quality
from veil.vision.redact import RedactionSettings
from veil.vision.regions import Region
from veil.vision.tracking import FaceTracker, TrackerSettings

__all__ = [
    "MEDIA_SUFFIXES",
    "AnonymizeOptions",
    "Anonymizer",
    "BatchSummary",
    "FileResult",
    "FrameObserver",
    "FrameReport",
    "Job",
    "MediaKind",
    "ProgressCallback",
    "Status",
    "anonymize_image",
    "anonymize_video",
    "default_output",
    "media_kind",
    "plan_outputs",
    "run_batch",
]


@dataclass(frozen=True)
class AnonymizeOptions:
    """Everything that shapes an anonymization run (CLI flags map one to one)."""

    detector: str = DEFAULT_DETECTOR
    detection: DetectorSettings = field(default_factory=DetectorSettings)
    redaction: RedactionSettings = field(default_factory=RedactionSettings)
    tracking: TrackerSettings | None = field(default_factory=TrackerSettings)
    detect_every: int = 2  # tracking carries faces through the frames in between
    full_every: int = FULL_EVERY  # a full-frame pass at least this often; regional ones between
    codec: str | None = None
    crf: int = DEFAULT_CRF
    preset: str = DEFAULT_PRESET  # x264/x265 speed against size at the same quality
    keep_audio: bool = True
    keep_metadata: bool = False
    overwrite: bool = False
    quality: str | None = None  # preset; None: PHOTO_QUALITY for images, VIDEO_QUALITY for video

    def __post_init__(self) -> None:
        photo_and_video(self.quality)  # an unknown preset fails here
        if self.detect_every < 1 or self.full_every < 1:
            raise ConfigError("detect-every and full-every must be at least 1")
        if not 0 <= self.crf <= 63:
            raise ConfigError(f"crf must be between 0 and 63, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(f"preset {self.preset!r}: use one of {', '.join(X264_PRESETS)}")
        if not 0.0 < self.detection.threshold < 1.0:
            raise ConfigError(f"threshold must be between 0 and 1, got {self.detection.threshold}")


@dataclass(frozen=True)
class FrameReport:
    """What happened in one frame; handed to the observer (e.g. for ``--boxes-out``)."""

    source: Path
    index: int
    pts: int | None
    faces: Detections
    decisions: FaceDecisions
    blanked: bool

    def tally(self, into: FaceTally) -> None:
        """Add this frame to ``into``'s counts: a blanked frame, or its faces redacted and kept."""
        if self.blanked:
            into.frames_blanked += 1
            return
        redacted = int(self.decisions.redact.sum())
        into.faces_redacted += redacted
        into.faces_kept += len(self.faces) - redacted


class FaceTally(Protocol):
    """Counts a frame adds to (:meth:`FrameReport.tally`): a file's result, a chunk's."""

    faces_redacted: int
    faces_kept: int
    frames_blanked: int


FrameObserver = Callable[[FrameReport], None]
ProgressCallback = Callable[[int], None]


class Anonymizer:
    """Runs detection, tracking, the face policy and redaction over images and videos."""

    def __init__(
        self,
        options: AnonymizeOptions | None = None,
        *,
        policy: FacePolicy | None = None,
        detector: Detector | None = None,
        observer: FrameObserver | None = None,
    ) -> None:
        self.options = options or AnonymizeOptions()
        self.policy: FacePolicy = policy or RedactAll()
        # A detector built from the options runs the quality preset; one passed in runs as given.
        built = detector or get_detector(self.options.detector, self.options.detection)
        photo, video = photo_and_video(self.options.quality)
        self.detector = detector or with_quality(built, photo)
        self.video_detector = detector or with_quality(built, video)
        self.observer = observer
        self.step = FrameStep(
            threshold=self.options.detection.threshold,
            redaction=self.options.redaction,
            policy=self.policy,
        )

    def anonymize_frame(
        self,
        frame: Frame,
        tracker: FaceTracker | None = None,
        *,
        run_detector: bool = True,
        regions: Sequence[Region] | None = None,
        detector: Detector | None = None,
        source: Path = Path("-"),
        index: int = 0,
        pts: int | None = None,
    ) -> tuple[Frame, FrameReport]:
        """Redact one BGR frame in place (tracked when ``tracker`` is given; detected in
        ``regions`` only when given); fail closed."""
        step = self.step.run(
            frame, detector or self.detector, tracker, run_detector=run_detector, regions=regions
        )
        report = FrameReport(source, index, pts, step.faces, step.decisions, step.blanked)
        if self.observer is not None:
            self.observer(report)
        return frame, report

    def schedule(self) -> DetectionSchedule:
        """A new schedule of full and regional detections for one video (or chunk) of these
        options."""
        return DetectionSchedule(self.options.detect_every, self.options.full_every)

    def anonymize_image(self, source: Path, target: Path) -> FileResult:
        """Anonymize one image file into ``target``."""
        started = time.perf_counter()
        result = FileResult(str(source), str(target), MediaKind.IMAGE)
        loaded = read_image(source)
        pixels, report = self.anonymize_frame(loaded.pixels, source=source)
        write_image(
            target,
            pixels,
            loaded,
            keep_metadata=self.options.keep_metadata,
            overwrite=self.options.overwrite,
        )
        _count(result, report)
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def anonymize_video(
        self, source: Path, target: Path, progress: ProgressCallback | None = None
    ) -> FileResult:
        """Anonymize one video file into ``target``; decoding, detection and encoding overlap."""
        started = time.perf_counter()
        result = FileResult(str(source), str(target), MediaKind.VIDEO)
        tracker = FaceTracker(self.options.tracking) if self.options.tracking is not None else None
        with VideoReader(source, passthrough=self.options.keep_audio) as reader:
            with atomic_output(target, overwrite=self.options.overwrite) as temporary:
                writer = VideoWriter(
                    temporary,
                    reader,
                    codec=self.options.codec,
                    crf=self.options.crf,
                    preset=self.options.preset,
                    keep_metadata=self.options.keep_metadata,
                    suffix=target.suffix,
                )
                try:
                    self._run_video(reader, writer, tracker, source, result, progress)
                    writer.finish()
                except BaseException:
                    writer.abort()
                    raise
            result.audio_packets = writer.packets_copied
        if tracker is not None:
            result.faces_held = tracker.held_faces
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _run_video(
        self,
        reader: VideoReader,
        writer: VideoWriter,
        tracker: FaceTracker | None,
        source: Path,
        result: FileResult,
        progress: ProgressCallback | None,
    ) -> None:
        index = 0
        last_blanked = False
        schedule = self.schedule()

        def on_frame(item: VideoFrame) -> None:
            nonlocal index, last_blanked
            # Frames are skipped only when a tracker carries the faces through them (without
            # one, a skipped frame would be written with no face hidden), and never right after
            # a failed detection, whose faces no tracker holds; a new scene's first frame gets a
            # full pass (its tracks are the old scene's).
            plan = schedule.plan(
                index,
                item.pixels,
                tracker.current() if tracker is not None else None,
                unprotected=tracker is None or last_blanked,
            )
            _, report = self.anonymize_frame(
                item.pixels,
                tracker,
                run_detector=plan.detect,
                regions=plan.regions,
                detector=self.video_detector,
                source=source,
                index=index,
                pts=item.pts,
            )
            _count(result, report)
            last_blanked = report.blanked
            index += 1
            if progress is not None:
                progress(1)

        run_overlapped(reader, writer, on_frame)


def _count(result: FileResult, report: FrameReport) -> None:
    result.frames += 1
    report.tally(result)


def run_batch(
    jobs: list[Job],
    anonymizer: Anonymizer,
    *,
    on_start: Callable[[Job], None] | None = None,
    progress: ProgressCallback | None = None,
    on_done: Callable[[FileResult], None] | None = None,
) -> BatchSummary:
    """Process every job; a bad input is recorded as failed and the batch goes on."""
    summary = BatchSummary()
    for job in jobs:
        if on_start is not None:
            on_start(job)
        started = time.perf_counter()
        if job.target.exists() and not anonymizer.options.overwrite:
            result = FileResult(
                str(job.source),
                str(job.target),
                job.kind,
                Status.SKIPPED,
                "output exists (use --overwrite to replace it)",
            )
            summary.files.append(result)
            if on_done is not None:
                on_done(result)
            continue
        try:
            if job.kind is MediaKind.IMAGE:
                result = anonymizer.anonymize_image(job.source, job.target)
                if progress is not None:
                    progress(1)
            else:
                result = anonymizer.anonymize_video(job.source, job.target, progress)
        except VeilError as exc:
            result = FileResult(
                str(job.source), None, job.kind, Status.FAILED, " ".join(str(exc).split())
            )
            result.seconds = round(time.perf_counter() - started, 3)
        summary.files.append(result)
        if on_done is not None:
            on_done(result)
    return summary


def anonymize_image(
    source: Path, target: Path, options: AnonymizeOptions | None = None
) -> FileResult:
    """Redact every face of one image file into ``target`` (the library form of ``veil blur``)."""
    return Anonymizer(options).anonymize_image(Path(source), Path(target))


def anonymize_video(
    source: Path, target: Path, options: AnonymizeOptions | None = None
) -> FileResult:
    """Redact every face of one video file into ``target``, keeping audio and timing."""
    return Anonymizer(options).anonymize_video(Path(source), Path(target))
