"""Redact live frames against a deadline, failing closed.

:class:`RealtimeRedactor` takes decoded frames in order and returns them redacted. The detector
runs in its own worker thread, so a slow or stalled detector never holds a frame longer than the
latency budget (``max_latency``): a frame that is not checked by then leaves fully redacted
(blanked) and is counted. Detection, the score threshold, tracking, the face policy and redaction
are :class:`veil.framestep.FrameStep`, the step ``veil blur`` runs; this module adds only what is
live (deadlines, dropping, degradation). The rules, per frame:

- a frame the decoder marked corrupt, or one already older than the budget, is blanked;
- the first frame of a new scene (:mod:`veil.vision.scenecut`) is always detected on, or
  blanked when the detector is still busy: the tracks are of the old scene;
- when a detection is due and the worker is free, the frame is detected (on a downscaled copy)
  and waits at most until its deadline; a detector error blanks it, a timeout blanks it;
- between detections, faces are carried by the tracker, but only for ``max_track_seconds`` after
  the last successful detection; past that (the detector is stalled or failing) frames are blanked.

When it falls behind, the redactor degrades down one ladder, protection last
(:mod:`veil.stream.degrade`): the preview and the restream shed frames first, then detection runs
every few frames with tracking in between, and only then on smaller images, where faces are
redacted conservatively (masks ``cautious_mask_factor`` larger, tracks held
``cautious_hold_factor`` times longer). It climbs back when the detector has room again. When
nothing is late, every frame gets exactly what ``veil blur`` does to it: the same detections on
the same schedule of full and regional passes (:mod:`veil.detection_schedule`), tracking and
redaction. While degraded to smaller images every pass is full.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import cv2
import numpy as np

from veil.detection_schedule import FULL_EVERY, DetectionSchedule
from veil.errors import ConfigError
from veil.framestep import FrameStep
from veil.stream.degrade import Degrader
from veil.vision.detections import Detections
from veil.vision.detectors import Detector, DetectorSettings
from veil.vision.policy import FacePolicy, Frame
from veil.vision.redact import RedactionSettings
from veil.vision.regions import Canvas, Region, compose
from veil.vision.tracking import FaceTracker, TrackerSettings

Clock = Callable[[], float]
_EPSILON = 1e-3  # seconds: timestamps are rounded to their time base


class BlankReason(StrEnum):
    """Why a frame left fully redacted."""

    LATE = "late"  # not checked within the latency budget (slow or stalled detector, backlog)
    DETECTOR = "detector"  # the detector (or its output) failed
    CORRUPT = "corrupt"  # the decoder reported a damaged frame


@dataclass(frozen=True)
class RealtimeSettings:
    """The latency budget and how far detection may degrade.

    ``max_latency``: seconds from decoding a frame to handing it, redacted, to the sinks; a frame
    not checked by then is blanked. ``max_track_seconds``: how long the tracker alone may carry
    faces after the last successful detection. ``detect_every``: the starting detection interval
    in frames; ``max_detect_every`` the largest the degrader uses; ``full_every``: a full-frame
    pass at least this often, regional ones between (:mod:`veil.detection_schedule`). ``sides``: the detection
    resolutions (longer side, pixels) the degrader steps down through; ``None`` is full size.
    ``target_load``: the share of frame time the detector may take before degrading.
    ``start_side``: the detection size to begin with (the largest of ``sides`` not above it;
    ``None``: full size, as ``veil blur`` detects). Faces found on a downscaled image are redacted
    conservatively: masks ``cautious_mask_factor`` times larger (at most 5x the box) and tracks
    held ``cautious_hold_factor`` times as many missed frames.
    """

    max_latency: float = 0.5
    max_track_seconds: float = 0.4
    detect_every: int = 1
    max_detect_every: int = 4
    full_every: int = FULL_EVERY
    sides: tuple[int | None, ...] = (None, 960, 640, 480, 320)
    adapt: bool = True
    target_load: float = 0.7
    start_side: int | None = None
    cautious_mask_factor: float = 1.25
    cautious_hold_factor: int = 2

    def __post_init__(self) -> None:
        if self.max_latency <= 0:
            raise ConfigError("max latency must be positive")
        if self.max_track_seconds < 0:
            raise ConfigError("max track time cannot be negative")
        if not 1 <= self.detect_every <= max(self.detect_every, self.max_detect_every):
            raise ConfigError("detect-every must be at least 1")
        if not self.sides:
            raise ConfigError("at least one detection size is needed")
        if not 0.05 <= self.target_load <= 1.0:
            raise ConfigError("target load must be between 0.05 and 1")
        if self.cautious_mask_factor < 1 or self.cautious_hold_factor < 1:
            raise ConfigError("degraded detection cannot redact less than full-size detection")


@dataclass(frozen=True)
class Outcome:
    """What happened to one frame: faces redacted and kept, or why it was blanked."""

    faces_redacted: int = 0
    faces_kept: int = 0
    blanked: BlankReason | None = None
    detected: bool = False
    detector_seconds: float | None = None


@dataclass
class _Result:
    faces: Detections | None
    error: BaseException | None
    seconds: float
    job: int


class DetectorWorker:
    """Runs the detector on one frame at a time in a daemon thread.

    A detector that never returns keeps the worker busy (:attr:`busy`); the caller carries on
    without it. Results of jobs nobody waits for any more are dropped.
    """

    def __init__(self, detector: Detector, step: FrameStep, clock: Clock = time.monotonic):
        self.detector = detector
        self.step = step
        self.clock = clock
        self._cond = threading.Condition()
        self._job: tuple[int, Frame, float] | None = None
        self._result: _Result | None = None
        self._running: int | None = None
        self._jobs = 0
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="veil-detector", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """Whether a job is queued or running."""
        with self._cond:
            return self._job is not None or self._running is not None

    def submit(self, pixels: Frame, scale: float) -> int | None:
        """Start detecting ``pixels`` (boxes are divided by ``scale``); ``None`` when busy."""
        with self._cond:
            if self._closed or self._job is not None or self._running is not None:
                return None
            self._jobs += 1
            self._job = (self._jobs, pixels, scale)
            self._result = None
            self._cond.notify_all()
            return self._jobs

    def wait(self, job: int, timeout: float) -> _Result | None:
        """The result of ``job``, waiting at most ``timeout`` seconds (``None``: not yet)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._result is not None and self._result.job == job, max(0.0, timeout)
            )
            result = self._result
            if result is None or result.job != job:
                return None
            self._result = None
            return result

    def close(self) -> None:
        """Stop the worker (a stalled detector's thread is left to die with the process)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                if self._closed:
                    return
                assert self._job is not None
                job, pixels, scale = self._job
                self._job = None
                self._running = job
            started = self.clock()
            faces: Detections | None = None
            error: BaseException | None = None
            try:
                faces = self.step.detect(self.detector, pixels, scale)
            except Exception as exc:  # the frame is blanked by the caller
                error = exc
            with self._cond:
                self._result = _Result(faces, error, self.clock() - started, job)
                self._running = None
                self._cond.notify_all()


class RealtimeRedactor:
    """Redacts frames of one live stream in order, within ``settings.max_latency`` (fail closed)."""

    def __init__(
        self,
        detector: Detector,
        *,
        detection: DetectorSettings | None = None,
        redaction: RedactionSettings | None = None,
        tracking: TrackerSettings | None = None,
        policy: FacePolicy | None = None,
        settings: RealtimeSettings | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings or RealtimeSettings()
        # The same step, threshold and policy as ``veil blur``: only deadlines are added here.
        self.step = FrameStep(
            threshold=(detection or DetectorSettings()).threshold,
            redaction=redaction,
            policy=policy,
        )
        self.tracker = FaceTracker(tracking or TrackerSettings())
        self.degrader = Degrader(self.settings)
        self.clock = clock
        self.worker = DetectorWorker(detector, self.step, clock)
        # veil blur's schedule: the first frame of a new scene is always detected on
        self.schedule = DetectionSchedule(self.settings.detect_every, self.settings.full_every)
        self._careful = (self.step.redaction, self.tracker.settings), self._cautious()
        self.cautious = False  # whether the tracks come from a downscaled detection
        self._last_detection: float | None = None  # stream time of the last good detection
        self._index = 0  # frames seen: detections follow veil blur's schedule
        self._owed = False  # a detection was due but the worker was busy
        self._last_time: float | None = None
        self._interval = 1 / 25
        self._intervals_seen = 0

    def _cautious(self) -> tuple[RedactionSettings, TrackerSettings]:
        """Redaction and tracking for faces found on a downscaled image: larger, held longer."""
        s, redaction, tracking = self.settings, self.step.redaction, self.tracker.settings
        return (
            replace(redaction, mask_scale=min(5.0, redaction.mask_scale * s.cautious_mask_factor)),
            replace(tracking, max_misses=tracking.max_misses * s.cautious_hold_factor),
        )

    def _use(self, cautious: bool) -> None:
        """Redact as after a full-size detection, or conservatively (after a downscaled one)."""
        self.cautious = cautious
        self.step.redaction, self.tracker.settings = self._careful[cautious]

    def close(self) -> None:
        """Stop the detector worker."""
        self.worker.close()

    def reset(self) -> None:
        """Forget tracked faces (after a reconnection the scene may have changed)."""
        self.tracker = FaceTracker(self.tracker.settings)
        self._last_detection = None
        self._last_time = None
        self._index = 0
        self.schedule.reset()

    def process(
        self, pixels: Frame, stamp: float, arrival: float, corrupt: bool = False
    ) -> Outcome:
        """Redact ``pixels`` in place; ``stamp``: stream seconds, ``arrival``: decode time."""
        self._clock_frame(stamp)
        index, self._index = self._index, self._index + 1
        deadline = arrival + self.settings.max_latency
        if corrupt:
            self._last_detection = None  # damaged pictures may hide faces from later detections
            return self._blank(pixels, BlankReason.CORRUPT)
        if self.clock() >= deadline:
            self.degrader.press(self.clock(), self._interval)
            return self._blank(pixels, BlankReason.LATE)
        expired = (
            self._last_detection is None
            or stamp - self._last_detection > self.settings.max_track_seconds + _EPSILON
        )
        plan = self.schedule.plan(
            index,
            pixels,
            self.tracker.current(),
            unprotected=expired,
            every=self.degrader.detect_every,
            owed=self._owed,
            regional=self.degrader.side is None,  # degraded: full passes on smaller images
        )
        if plan.regions == ():  # nothing tracked and nothing moved: nothing to look for
            self._owed = False
            return self._found(pixels, stamp, Detections.empty(), 1.0, 0.0)
        submitted = self._submit(pixels, plan.regions) if plan.detect else None
        self._owed = plan.detect and submitted is None
        if submitted is not None:
            return self._detected(pixels, stamp, deadline, *submitted)
        # The detector is busy, and the tracks are too old or belong to another scene.
        if expired or plan.cut:
            return self._blank(pixels, BlankReason.LATE)
        return self._redact(pixels, None, seconds=None)

    def _clock_frame(self, stamp: float) -> None:
        """Follow the frame interval from the stream's timestamps."""
        if self._last_time is not None and stamp > self._last_time:
            step = min(1.0, stamp - self._last_time)
            self._interval = step if not self._intervals_seen else 0.9 * self._interval + 0.1 * step
            self._intervals_seen += 1
        self._last_time = stamp

    def _detected(
        self,
        pixels: Frame,
        stamp: float,
        deadline: float,
        job: int,
        scale: float,
        canvas: Canvas | None,
    ) -> Outcome:
        """Wait for detection ``job`` (run at ``scale``, or on the regions' ``canvas``) until
        ``deadline``, then redact."""
        result = self.worker.wait(job, deadline - self.clock())
        if result is None:
            self.degrader.press(self.clock(), self._interval)
            return self._blank(pixels, BlankReason.LATE)
        if self._intervals_seen:  # the frame rate is known
            self.degrader.observe(result.seconds, self._interval, self.clock())
        if result.faces is None:
            self._last_detection = None
            return self._blank(pixels, BlankReason.DETECTOR, result.seconds)
        faces = result.faces if canvas is None else canvas.faces_in_frame(result.faces)
        return self._found(pixels, stamp, faces, scale, result.seconds)

    def _found(
        self, pixels: Frame, stamp: float, faces: Detections, scale: float, seconds: float
    ) -> Outcome:
        """Redact ``pixels`` with the ``faces`` a detection at ``scale`` found in it."""
        self._use(cautious=scale < 1.0)
        outcome = self._redact(pixels, faces, seconds=seconds)
        if outcome.blanked is None:
            self._last_detection = stamp
        return outcome

    def _submit(
        self, pixels: Frame, regions: tuple[Region, ...] | None
    ) -> tuple[int, float, Canvas | None] | None:
        """Hand the detector ``pixels`` at the degrader's size, or the canvas of ``regions``:
        ``(job, scale, canvas)``, or ``None`` when the worker is busy."""
        if regions is not None:
            canvas = compose(pixels, regions)
            job = self.worker.submit(canvas.pixels, 1.0)
            return None if job is None else (job, 1.0, canvas)
        side = self.degrader.side
        h, w = pixels.shape[:2]
        scale = 1.0
        if side is not None and max(h, w) > side:
            scale = side / max(h, w)
            small = cv2.resize(
                pixels,
                (max(1, round(w * scale)), max(1, round(h * scale))),
                interpolation=cv2.INTER_AREA,
            )
            job = self.worker.submit(np.asarray(small, np.uint8), scale)
        else:
            job = self.worker.submit(pixels.copy(), 1.0)
        return None if job is None else (job, scale, None)

    def _redact(self, pixels: Frame, found: Detections | None, *, seconds: float | None) -> Outcome:
        """The shared frame step on ``pixels``; ``found`` is ``None`` between detections."""
        step = self.step.finish(pixels, found, self.tracker)
        if step.blanked:
            return Outcome(blanked=BlankReason.DETECTOR, detector_seconds=seconds)
        detected = found is not None
        return Outcome(step.faces_redacted, step.faces_kept, None, detected, seconds)

    @staticmethod
    def _blank(pixels: Frame, reason: BlankReason, seconds: float | None = None) -> Outcome:
        FrameStep.blank(pixels)
        return Outcome(blanked=reason, detector_seconds=seconds)
