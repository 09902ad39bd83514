"""The one per-frame step that files (``veil blur``, ``veil gate``) and live streams share.

detect -> check the detector's answer -> filter by score (the one place the threshold applies)
-> track -> decide (the face policy, fail closed) -> redact; any failure blanks the frame.
:class:`FrameStep` holds the threshold, the face policy and the redaction settings. The file
path calls :meth:`FrameStep.run`; the live path runs :meth:`FrameStep.detect` in its worker
thread (against a deadline) and :meth:`FrameStep.finish` on the frame, and adds only what is
live (deadlines, dropping, degradation). Both detect on the same frames, the whole frame or
regions of it (:mod:`veil.detection_schedule`). A new detector, tracker, policy or redaction mode is
picked up by both with no change to either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from veil.vision.detections import Detections
from veil.vision.detectors import Detector, DetectorSettings
from veil.vision.policy import FaceDecisions, FacePolicy, Frame, RedactAll, decide_fail_closed
from veil.vision.redact import RedactionSettings, redact_faces, redact_frame
from veil.vision.regions import Region, detect_in_regions
from veil.vision.tracking import FaceTracker

__all__ = ["FrameStep", "StepResult", "detect_faces"]


@dataclass(frozen=True)
class StepResult:
    """What the step did to one frame: the faces, the verdicts, or that it was blanked."""

    faces: Detections
    decisions: FaceDecisions
    blanked: bool

    @property
    def faces_redacted(self) -> int:
        """Faces hidden (0 for a blanked frame: the whole frame is hidden)."""
        return 0 if self.blanked else int(self.decisions.redact.sum())

    @property
    def faces_kept(self) -> int:
        """Faces the policy left visible."""
        return 0 if self.blanked else len(self.faces) - self.faces_redacted


def detect_faces(
    detector: Detector, frame: Frame, threshold: float, scale: float = 1.0
) -> Detections:
    """Run ``detector``, check its answer, keep faces scored at least ``threshold``.

    ``scale`` is how much ``frame`` was shrunk before detection: boxes are mapped back by
    ``1 / scale``. Raises when the detector fails or answers with anything but
    :class:`Detections` (the caller blanks the frame).
    """
    found = detector.detect(frame)
    if not isinstance(found, Detections):
        raise TypeError(f"detector returned {type(found).__name__}, not Detections")
    faces = found.filter_score(threshold)
    return faces.scaled(1.0 / scale) if scale != 1.0 else faces


class FrameStep:
    """Detect, filter, track, decide and redact one frame in place; fail closed."""

    def __init__(
        self,
        *,
        threshold: float | None = None,
        redaction: RedactionSettings | None = None,
        policy: FacePolicy | None = None,
    ) -> None:
        self.threshold = DetectorSettings().threshold if threshold is None else threshold
        self.redaction = redaction or RedactionSettings()
        self.policy: FacePolicy = policy or RedactAll()

    def detect(self, detector: Detector, frame: Frame, scale: float = 1.0) -> Detections:
        """The faces ``detector`` finds in ``frame`` above the threshold (raises on failure)."""
        return detect_faces(detector, frame, self.threshold, scale)

    def detect_regions(
        self, detector: Detector, frame: Frame, regions: Sequence[Region]
    ) -> Detections:
        """The faces ``detector`` finds in ``regions`` of ``frame`` (one run on their canvas)."""
        return detect_in_regions(lambda canvas: self.detect(detector, canvas), frame, regions)

    def finish(
        self, frame: Frame, found: Detections | None, tracker: FaceTracker | None
    ) -> StepResult:
        """Track, decide and redact ``frame`` in place; blank it when anything fails.

        ``found``: this frame's detections, or ``None`` when the detector did not run on it
        (the tracker carries the faces; without a tracker, none are known).
        """
        try:
            if found is None:
                faces = tracker.predict() if tracker is not None else Detections.empty()
            else:
                faces = tracker.update(found) if tracker is not None else found
            decisions = decide_fail_closed(self.policy, frame, faces)
            redact_faces(frame, faces[decisions.redact], self.redaction)
        except Exception:
            # Tracking or redaction failed: nothing of this frame can be trusted.
            return self.blank(frame)
        return StepResult(faces, decisions, False)

    def run(
        self,
        frame: Frame,
        detector: Detector,
        tracker: FaceTracker | None = None,
        *,
        run_detector: bool = True,
        regions: Sequence[Region] | None = None,
    ) -> StepResult:
        """The whole step on ``frame``: detect (when ``run_detector``; in ``regions`` only when
        given), then :meth:`finish`."""
        try:
            found = None
            if run_detector:
                found = (
                    self.detect(detector, frame)
                    if regions is None
                    else self.detect_regions(detector, frame, regions)
                )
        except Exception:
            return self.blank(frame)  # detection (or its output) failed
        return self.finish(frame, found, tracker)

    @staticmethod
    def blank(frame: Frame) -> StepResult:
        """Hide the whole frame (it could not be checked)."""
        redact_frame(frame)
        return StepResult(Detections.empty(), FaceDecisions.redact_all(0), True)
