"""Which frames of a video are detected on, and how: the one schedule files and streams share.

``veil blur`` (whole files and ``--ray`` chunks) and ``veil stream`` ask
:meth:`DetectionSchedule.plan` about every frame, in order, and get a :class:`DetectionPlan`:

- no detection: the tracker carries the faces through the frame;
- a full-frame pass: on every ``every``-th frame when a full pass is owed, on the first frame of
  a new scene (its tracks are the old scene's), on any frame whose faces no track holds
  (``unprotected``), and at least once in every window of ``full_every`` frames;
- a regional pass (:mod:`veil.vision.regions`) on the other scheduled frames: crops around the
  tracked faces and where the picture moved since the last pass, packed onto one small canvas. When those would
  cost more than a share of a full pass (a pan, a crowd) the pass is full after all.

Full-pass windows are counted from frame 0 of the video (not from the last full pass), so a
chunk of a long video, started a few frames early, plans the same passes as the whole-file run.
``full_every`` 1 makes every pass full (the schedule before regional passes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from veil.errors import ConfigError
from veil.vision.detections import Detections
from veil.vision.policy import Frame
from veil.vision.regions import MotionCells, Region, RegionSettings, plan_regions
from veil.vision.scenecut import SceneCutDetector

__all__ = ["FULL_EVERY", "DetectionPlan", "DetectionSchedule", "detection_due"]

FULL_EVERY = 16  # frames: chosen with bench/region_probe.py (BENCHMARKS.md "Regional detection")


def detection_due(index: int, every: int, *, cut: bool = False, unprotected: bool = False) -> bool:
    """Whether frame ``index`` (0-based) is detected on at all, in files and live alike.

    Every ``every``-th frame is; so is the first frame of a new scene (``cut``) and any frame
    whose faces no track holds (``unprotected``: no tracker, or the last detection failed or is
    too old).
    """
    return unprotected or cut or index % every == 0


@dataclass(frozen=True)
class DetectionPlan:
    """What to detect on one frame: nothing, the whole frame, or ``regions`` only."""

    detect: bool
    regions: tuple[Region, ...] | None = None  # with ``detect``: None is a full-frame pass
    cut: bool = False  # the frame starts a new scene

    @property
    def full(self) -> bool:
        """Whether the whole frame is detected on."""
        return self.detect and self.regions is None


class DetectionSchedule:
    """Plans every frame of one video, in order (it follows scene cuts and motion)."""

    def __init__(
        self, every: int, full_every: int = FULL_EVERY, regions: RegionSettings | None = None
    ) -> None:
        if every < 1 or full_every < 1:
            raise ConfigError("detect-every and full-every must be at least 1")
        self.every = every
        self.full_every = full_every
        self.regions = regions or RegionSettings()
        self.scenes = SceneCutDetector()
        self.motion = MotionCells(self.regions.cell)
        self._full_window: int | None = None  # the window of the last full pass
        self._moved: np.ndarray | None = None  # cells moved in frames not detected on yet

    def plan(
        self,
        index: int,
        frame: Frame,
        tracked: Detections | None,
        *,
        unprotected: bool = False,
        every: int | None = None,
        owed: bool = False,
        regional: bool = True,
    ) -> DetectionPlan:
        """The plan for frame ``index`` (0-based; call for every frame, in order).

        ``tracked``: the faces the tracker holds (``None``: no tracker, so every detection is
        full). ``every`` overrides the detection interval (a live stream's degrader widens it);
        ``owed``: a detection due on an earlier frame could not run, so this frame is detected.
        ``regional`` False makes every pass full (a degraded stream detects on smaller images).
        """
        cut = self.scenes.is_cut(frame)
        moved = self.motion.update(frame, self.regions.motion)
        if self._moved is not None and self._moved.shape == moved.shape:
            moved |= self._moved  # what moved in the frames skipped since the last pass, too
        due = owed or detection_due(index, every or self.every, cut=cut, unprotected=unprotected)
        if not due:
            self._moved = moved
            return DetectionPlan(False, cut=cut)
        self._moved = None
        window = index // self.full_every
        # A regional pass needs tracks of this scene and a full pass already in this window.
        tracks_hold = not (cut or unprotected) and window == self._full_window
        if regional and tracked is not None and tracks_hold:
            planned = plan_regions(frame.shape, tracked, moved, self.regions)
            if planned is not None:
                return DetectionPlan(True, tuple(planned), cut)
        self._full_window = window
        return DetectionPlan(True, None, cut)

    def reset(self) -> None:
        """Forget the scene, the motion and the last full pass (after a reconnection)."""
        self.scenes.reset()
        self.motion.reset()
        self._full_window = None
        self._moved = None
