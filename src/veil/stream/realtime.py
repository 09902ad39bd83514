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

When detection cannot keep up, the redactor degrades in ways that keep privacy: first it detects
every few frames with tracking in between, then it lowers the detection resolution step by step
(:class:`Degrader`); it climbs back when the detector has room again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from veil.errors import ConfigError
from veil.framestep import FrameStep
from veil.vision.detections import Detections
from veil.vision.detectors import Detector, DetectorSettings
from veil.vision.policy import FacePolicy, Frame
from veil.vision.redact import RedactionSettings
from veil.vision.scenecut import SceneCutDetector
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
    in frames; ``max_detect_every`` the largest the degrader uses. ``sides``: the detection
    resolutions (longer side, pixels) the degrader steps down through; ``None`` is full size.
    ``target_load``: the share of frame time the detector may take before degrading.
    ``start_side``: the detection size to begin with (the largest of ``sides`` not above it);
    the degrader climbs to larger sizes when the detector has room.
    """

    max_latency: float = 0.5
    max_track_seconds: float = 0.4
    detect_every: int = 1
    max_detect_every: int = 4
    sides: tuple[int | None, ...] = (None, 960, 640, 480, 320)
    adapt: bool = True
    target_load: float = 0.7
    start_side: int | None = 640

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


@dataclass(frozen=True)
class Outcome:
    """What happened to one frame: faces redacted and kept, or why it was blanked."""

    faces_redacted: int = 0
    faces_kept: int = 0
    blanked: BlankReason | None = None
    detected: bool = False
    detector_seconds: float | None = None


class Degrader:
    """Chooses the detection interval and resolution from the measured detector load.

    Load is the detector's time over the time it has (``detect_every`` frame intervals). Above
    ``target_load`` it first detects less often (straight to the interval the measured time
    needs; tracking fills the gaps), then on smaller images;
    below a third of the target it climbs back, resolution first. Decisions are at most one step
    per ``settle`` seconds, so one slow run does not swing it.
    """

    def __init__(self, settings: RealtimeSettings, settle: float = 1.0) -> None:
        self.settings = settings
        self.detect_every = settings.detect_every
        self.level = 0  # index into settings.sides
        if settings.adapt and settings.start_side is not None:
            fitting = [
                i
                for i, side in enumerate(settings.sides)
                if side is not None and side <= settings.start_side
            ]
            self.level = fitting[0] if fitting else len(settings.sides) - 1
        self.settle = settle
        self._mean: float | None = None
        self._changed = -math.inf
        self._pressed = -math.inf
        self.steps_down = 0

    def longest_interval(self, frame_interval: float) -> int:
        """The most frames between detections: ``max_detect_every``, and no longer than the
        tracker may carry faces alone (``max_track_seconds``)."""
        s = self.settings
        if frame_interval <= 0:
            return s.max_detect_every
        carried = int(s.max_track_seconds / frame_interval) + 1
        return max(1, min(s.max_detect_every, carried))

    def press(self, now: float, frame_interval: float = 0.0) -> None:
        """Frames are leaving late: detect less, or on smaller images (one step per settle)."""
        self._pressed = now
        if not self.settings.adapt or now - self._changed < self.settle:
            return
        if self.detect_every < self.longest_interval(frame_interval):
            self.detect_every += 1
        elif self.level < len(self.settings.sides) - 1:
            self.level += 1
            self._mean = None
        else:
            return
        self.steps_down += 1
        self._changed = now

    @property
    def side(self) -> int | None:
        """The longer side of the image the detector sees now (``None``: full size)."""
        return self.settings.sides[self.level]

    def observe(self, seconds: float, frame_interval: float, now: float) -> None:
        """Record one detector run; maybe change the interval or resolution."""
        self._mean = seconds if self._mean is None else 0.7 * self._mean + 0.3 * seconds
        s = self.settings
        if not s.adapt or frame_interval <= 0 or now - self._changed < self.settle:
            return
        load = self._mean / (self.detect_every * frame_interval)
        if load > s.target_load:
            needed = math.ceil(self._mean / (s.target_load * frame_interval))
            longest = self.longest_interval(frame_interval)
            if self.detect_every < longest:
                self.detect_every = min(longest, max(needed, self.detect_every + 1))
            elif self.level < len(s.sides) - 1:
                self.level += 1
                self._mean = None  # the next runs are on a smaller image
            else:
                return
            self.steps_down += 1
            self._changed = now
        elif load < s.target_load / 3 and now - self._pressed >= 5 * self.settle:
            if self.level > 0:
                self.level -= 1
                self._mean = None
            elif self.detect_every > s.detect_every:
                self.detect_every -= 1
            else:
                return
            self._changed = now


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
        self.scenes = SceneCutDetector()  # the first frame of a new scene is always detected
        self._last_detection: float | None = None  # stream time of the last good detection
        self._since_detection = 0
        self._last_time: float | None = None
        self._interval = 1 / 25
        self._intervals_seen = 0

    def close(self) -> None:
        """Stop the detector worker."""
        self.worker.close()

    def reset(self) -> None:
        """Forget tracked faces (after a reconnection the scene may have changed)."""
        self.tracker = FaceTracker(self.tracker.settings)
        self._last_detection = None
        self._last_time = None
        self.scenes.reset()

    def process(
        self, pixels: Frame, stamp: float, arrival: float, corrupt: bool = False
    ) -> Outcome:
        """Redact ``pixels`` in place; ``stamp``: stream seconds, ``arrival``: decode time."""
        if self._last_time is not None and stamp > self._last_time:
            step = min(1.0, stamp - self._last_time)
            self._interval = step if not self._intervals_seen else 0.9 * self._interval + 0.1 * step
            self._intervals_seen += 1
        self._last_time = stamp
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
        cut = self.scenes.is_cut(pixels)
        due = expired or cut or self._since_detection >= self.degrader.detect_every
        job = self._submit(pixels) if due else None
        if job is not None:
            result = self.worker.wait(job, deadline - self.clock())
            if result is None:
                self.degrader.press(self.clock(), self._interval)
                return self._blank(pixels, BlankReason.LATE)
            if self._intervals_seen:  # the frame rate is known
                self.degrader.observe(result.seconds, self._interval, self.clock())
            if result.faces is None:
                self._last_detection = None
                return self._blank(pixels, BlankReason.DETECTOR, result.seconds)
            self._since_detection = 1
            outcome = self._redact(pixels, result.faces, seconds=result.seconds)
            if outcome.blanked is None:
                self._last_detection = stamp
            return outcome
        self._since_detection += 1
        if expired or cut:  # the detector is busy and the tracks are too old or of another scene
            return self._blank(pixels, BlankReason.LATE)
        return self._redact(pixels, None, seconds=None)

    def _submit(self, pixels: Frame) -> int | None:
        side = self.degrader.side
        h, w = pixels.shape[:2]
        if side is not None and max(h, w) > side:
            scale = side / max(h, w)
            small = cv2.resize(
                pixels,
                (max(1, round(w * scale)), max(1, round(h * scale))),
                interpolation=cv2.INTER_AREA,
            )
            return self.worker.submit(np.asarray(small, np.uint8), scale)
        return self.worker.submit(pixels.copy(), 1.0)

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
