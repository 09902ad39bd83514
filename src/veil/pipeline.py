"""The anonymization pipeline: source -> detect -> track -> policy -> redact -> sink.

:class:`Anonymizer` processes images and video files; :func:`plan_outputs` maps inputs (files and
folders, mirrored) to outputs; :func:`run_batch` processes a whole batch and never stops at one
bad file. The pipeline depends only on ``veil.vision`` and ``veil.media``: the face policy
(default: redact every face) and the frame observer (e.g. ``--boxes-out``) are passed in.

Fail closed: when detection (or its output) fails on a frame, the whole frame is redacted and
counted; an output is written under a temporary name and renamed only when complete.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from veil.core.atomic import atomic_output
from veil.errors import ConfigError, MediaError, VeilError
from veil.media.images import IMAGE_SUFFIXES, read_image, write_image
from veil.media.targets import is_file_target
from veil.media.video import (
    DEFAULT_CRF,
    DEFAULT_PRESET,
    VIDEO_SUFFIXES,
    X264_PRESETS,
    StreamPacket,
    VideoFrame,
    VideoReader,
    VideoWriter,
)
from veil.vision.detections import Detections
from veil.vision.detectors import DEFAULT_DETECTOR, Detector, DetectorSettings, get_detector
from veil.vision.policy import FaceDecisions, FacePolicy, Frame, RedactAll, decide_fail_closed
from veil.vision.quality import photo_and_video, with_quality
from veil.vision.redact import RedactionSettings, redact_faces, redact_frame
from veil.vision.scenecut import SceneCutDetector
from veil.vision.tracking import FaceTracker, TrackerSettings

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
_QUEUE_SIZE = 8
_DONE = object()


class MediaKind(StrEnum):
    """Kinds of input the pipeline handles."""

    IMAGE = "image"
    VIDEO = "video"


class Status(StrEnum):
    """Outcome of one input."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class AnonymizeOptions:
    """Everything that shapes an anonymization run (CLI flags map one to one)."""

    detector: str = DEFAULT_DETECTOR
    detection: DetectorSettings = field(default_factory=DetectorSettings)
    redaction: RedactionSettings = field(default_factory=RedactionSettings)
    tracking: TrackerSettings | None = field(default_factory=TrackerSettings)
    detect_every: int = 2  # tracking carries faces through the frames in between
    codec: str | None = None
    crf: int = DEFAULT_CRF
    preset: str = DEFAULT_PRESET  # x264/x265 speed against size at the same quality
    keep_audio: bool = True
    keep_metadata: bool = False
    overwrite: bool = False
    quality: str | None = None  # preset; None: PHOTO_QUALITY for images, VIDEO_QUALITY for video

    def __post_init__(self) -> None:
        photo_and_video(self.quality)  # an unknown preset fails here
        if self.detect_every < 1:
            raise ConfigError("detect-every must be at least 1")
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


FrameObserver = Callable[[FrameReport], None]
ProgressCallback = Callable[[int], None]


@dataclass
class FileResult:
    """The summary of one input."""

    input: str
    output: str | None
    kind: MediaKind | None
    status: Status = Status.OK
    error: str | None = None
    frames: int = 0
    faces_redacted: int = 0
    faces_kept: int = 0
    faces_held: int = 0
    frames_blanked: int = 0
    audio_packets: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}


@dataclass
class BatchSummary:
    """The summary of a batch: per-file results and totals."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        """Inputs that could not be processed."""
        return [f for f in self.files if f.status is Status.FAILED]

    def totals(self) -> dict[str, Any]:
        """Counts over the whole batch."""
        ok = [f for f in self.files if f.status is Status.OK]
        return {
            "files": len(self.files),
            "ok": len(ok),
            "failed": len(self.failed),
            "skipped": sum(1 for f in self.files if f.status is Status.SKIPPED),
            "frames": sum(f.frames for f in ok),
            "faces_redacted": sum(f.faces_redacted for f in ok),
            "faces_kept": sum(f.faces_kept for f in ok),
            "frames_blanked": sum(f.frames_blanked for f in ok),
            "seconds": round(sum(f.seconds for f in self.files), 3),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"totals": self.totals(), "files": [f.to_dict() for f in self.files]}


@dataclass(frozen=True)
class Job:
    """One input file and where its anonymized copy goes."""

    source: Path
    target: Path
    kind: MediaKind


def media_kind(path: Path) -> MediaKind | None:
    """The kind of media a path's suffix names, or ``None``."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return MediaKind.IMAGE
    if suffix in VIDEO_SUFFIXES:
        return MediaKind.VIDEO
    return None


def default_output(path: Path) -> Path:
    """Where an input's output goes without ``-o``: beside it, named ``*_anonymized``."""
    if path.is_dir():
        return path.with_name(f"{path.name}_anonymized")
    return path.with_name(f"{path.stem}_anonymized{path.suffix}")


def plan_outputs(inputs: Iterable[Path], output: Path | None) -> tuple[list[Job], list[FileResult]]:
    """Map inputs to output files; folders are searched recursively and mirrored.

    With one input file, ``output`` may name the output file (:mod:`veil.media.targets`); otherwise
    ``output`` is a folder. Several inputs each get a subfolder or file named after them.
    Returns the jobs and the inputs that cannot be processed (missing, unsupported).
    """
    inputs = list(inputs)
    jobs: list[Job] = []
    problems: list[FileResult] = []
    single_file_target = is_file_target(inputs, output)
    for source in inputs:
        if not source.exists():
            problems.append(
                FileResult(
                    str(source), None, None, Status.FAILED, f"{source}: no such file or folder"
                )
            )
            continue
        if source.is_dir():
            base = (
                default_output(source)
                if output is None
                else (output if len(inputs) == 1 else output / source.name)
            )
            for path in sorted(
                p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")
            ):
                kind = media_kind(path)
                if kind is not None:
                    jobs.append(Job(path, base / path.relative_to(source), kind))
            continue
        kind = media_kind(source)
        if kind is None:
            problems.append(
                FileResult(
                    str(source),
                    None,
                    None,
                    Status.FAILED,
                    f"{source}: unsupported file type {source.suffix!r}",
                )
            )
            continue
        if output is None:
            target = default_output(source)
        elif single_file_target:
            target = output
        else:
            target = output / source.name
        jobs.append(Job(source, target, kind))
    seen: dict[Path, Path] = {}
    for job in jobs:
        key = job.target.resolve()
        if key in seen:
            raise ConfigError(f"{job.source} and {seen[key]} would both be written to {job.target}")
        if key == job.source.resolve():
            raise ConfigError(f"{job.source}: output would overwrite the input")
        seen[key] = job.source
    return jobs, problems


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

    def anonymize_frame(
        self,
        frame: Frame,
        tracker: FaceTracker | None = None,
        *,
        run_detector: bool = True,
        detector: Detector | None = None,
        source: Path = Path("-"),
        index: int = 0,
        pts: int | None = None,
    ) -> tuple[Frame, FrameReport]:
        """Redact one BGR frame in place (tracked when ``tracker`` is given); fail closed."""
        try:
            if run_detector:
                found = (detector or self.detector).detect(frame)
                if not isinstance(found, Detections):
                    raise TypeError(f"detector returned {type(found).__name__}, not Detections")
                found = found.filter_score(self.options.detection.threshold)
                faces = tracker.update(found) if tracker is not None else found
            else:
                faces = tracker.predict() if tracker is not None else Detections.empty()
            decisions = decide_fail_closed(self.policy, frame, faces)
            redact_faces(frame, faces[decisions.redact], self.options.redaction)
        except Exception:
            # Detection, tracking or redaction failed: nothing of this frame can be trusted.
            redact_frame(frame)
            report = FrameReport(
                source, index, pts, Detections.empty(), FaceDecisions.redact_all(0), True
            )
            self._observe(report)
            return frame, report
        report = FrameReport(source, index, pts, faces, decisions, False)
        self._observe(report)
        return frame, report

    def _observe(self, report: FrameReport) -> None:
        if self.observer is not None:
            self.observer(report)

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
        decoded: queue.Queue[Any] = queue.Queue(_QUEUE_SIZE)
        redacted: queue.Queue[Any] = queue.Queue(_QUEUE_SIZE)
        stop = threading.Event()
        read_thread = threading.Thread(
            target=_produce, args=(reader.items(), decoded, stop), daemon=True
        )
        write_thread = threading.Thread(target=_consume, args=(writer, redacted, stop), daemon=True)
        read_thread.start()
        write_thread.start()
        index = 0
        last_blanked = False
        scenes = SceneCutDetector()
        try:
            for item in _drain(decoded, stop):
                if isinstance(item, VideoFrame):
                    # Frames are skipped only when a tracker carries the faces through them
                    # (without one, a skipped frame would be written with no face hidden), and
                    # never right after a failed detection, whose faces no tracker holds, nor
                    # on a new scene's first frame (its tracks are the old scene's).
                    cut = scenes.is_cut(item.pixels)
                    run_detector = tracker is None or last_blanked or cut
                    run_detector = run_detector or index % self.options.detect_every == 0
                    _, report = self.anonymize_frame(
                        item.pixels,
                        tracker,
                        run_detector=run_detector,
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
                _put(redacted, item, stop)
            _put(redacted, _DONE, stop)
        except BaseException as exc:
            stop.set()
            write_thread.join()
            writer_error = getattr(write_thread, "error", None)
            if writer_error is not None and writer_error is not exc:
                raise writer_error from exc  # the writer's failure is the real cause
            raise
        finally:
            write_thread.join()
            stop.set()
            read_thread.join(timeout=5)
        error = getattr(write_thread, "error", None)
        if error is not None:
            raise error


def _count(result: FileResult, report: FrameReport) -> None:
    result.frames += 1
    if report.blanked:
        result.frames_blanked += 1
        return
    redacted = int(report.decisions.redact.sum())
    result.faces_redacted += redacted
    result.faces_kept += len(report.faces) - redacted


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
    raise MediaError("video processing stopped")


def _produce(items: Iterator[Any], q: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for item in items:
            _put(q, item, stop)
        _put(q, _DONE, stop)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        if not stop.is_set():
            _put(q, _Failure(exc), stop)


def _consume(writer: VideoWriter, q: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for item in _drain(q, stop):
            if isinstance(item, VideoFrame):
                writer.write_frame(item)
            elif isinstance(item, StreamPacket):
                writer.copy_packet(item)
    except BaseException as exc:
        threading.current_thread().error = exc  # type: ignore[attr-defined]
        stop.set()


@dataclass
class _Failure:
    error: BaseException


def _drain(q: queue.Queue[Any], stop: threading.Event) -> Iterator[Any]:
    """Items from ``q`` until ``_DONE``; ends early once ``stop`` is set and ``q`` is empty."""
    while True:
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return  # the other side gave up: whoever set stop reports why
            continue
        if item is _DONE:
            return
        if isinstance(item, _Failure):
            raise item.error
        yield item


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
