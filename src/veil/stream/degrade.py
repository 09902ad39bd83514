"""What a live stream gives up when it falls behind, and in which order: protection last.

:data:`DEGRADATION_ORDER` is the one ladder. Going down, the :class:`Degrader` first drops work
that protects nobody, then, only when that was not enough, work that does:

1. :attr:`Shed.PREVIEW`: the MJPEG preview refreshes about once a second instead of every frame;
2. :attr:`Shed.RESTREAM`: the restream gets every other frame (half its frame rate);
3. :attr:`Shed.INTERVAL`: detect every 2nd, 3rd... frame, the tracker carrying faces between
   (never longer than the tracker may carry them alone; a scene cut is still always detected);
4. :attr:`Shed.RESOLUTION`: detect on smaller images, one size at a time; the redactor then
   redacts conservatively (larger masks, tracks held longer), since a smaller image finds fewer
   and less exact faces.

The detection resolution is therefore never lowered before everything else is shed. Shedding
what protects nobody is immediate (one rung a frame); rungs that cost protection are taken at most
one per ``settle`` seconds, so one slow run does not swing the detector. Climbing back goes up the
same ladder in reverse (resolution first, the preview last), one rung per ``settle`` once frames
have been on time for ``5 * settle`` seconds and the detector has room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veil.stream.realtime import RealtimeSettings


class Shed(StrEnum):
    """One rung of the degradation ladder."""

    PREVIEW = "preview"
    RESTREAM = "restream"
    INTERVAL = "interval"
    RESOLUTION = "resolution"


DEGRADATION_ORDER: tuple[Shed, ...] = (Shed.PREVIEW, Shed.RESTREAM, Shed.INTERVAL, Shed.RESOLUTION)
PROTECTIVE = frozenset({Shed.INTERVAL, Shed.RESOLUTION})  # rungs that cost protection
PREVIEW_SECONDS = 1.0  # a shed preview refreshes this often
RESTREAM_EVERY = 2  # a shed restream gets every n-th frame


class Degrader:
    """Walks :data:`DEGRADATION_ORDER` from the measured detector load and late frames.

    Load is the detector's time over the time it has (``detect_every`` frame intervals). Above
    ``target_load`` (or when a frame leaves late) it takes the next rung down; below a third of
    the target, with no late frame for ``5 * settle`` seconds, it climbs one rung back.
    """

    def __init__(self, settings: RealtimeSettings, settle: float = 1.0) -> None:
        self.settings = settings
        self.adapt = settings.adapt
        self.order: tuple[Shed, ...] = DEGRADATION_ORDER
        self.shed: set[Shed] = set()  # the rungs that protect nobody, when taken
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
        self.taken: list[Shed] = []  # every rung taken down, in order (for metrics and tests)
        self._mean: float | None = None
        self._changed = -math.inf
        self._pressed = -math.inf
        self.steps_down = 0

    def fit(self, *, preview: bool, restream: bool, paced: bool) -> None:
        """Drop the rungs this camera lacks (no preview, no restream); an unpaced source (a file
        read only as fast as it is processed) has no clock to keep and never degrades."""
        missing = {Shed.PREVIEW} if not preview else set()
        missing |= {Shed.RESTREAM} if not restream else set()
        self.order = tuple(rung for rung in DEGRADATION_ORDER if rung not in missing)
        self.adapt = self.adapt and paced

    def sheds(self, rung: Shed) -> bool:
        """Whether ``rung`` is taken now (the interval or resolution below their start)."""
        if rung is Shed.INTERVAL:
            return self.detect_every > self.settings.detect_every
        if rung is Shed.RESOLUTION:
            return self.level > 0
        return rung in self.shed

    @property
    def side(self) -> int | None:
        """The longer side of the image the detector sees now (``None``: full size)."""
        return self.settings.sides[self.level]

    def longest_interval(self, frame_interval: float) -> int:
        """The most frames between detections: ``max_detect_every``, and no longer than the
        tracker may carry faces alone (``max_track_seconds``)."""
        s = self.settings
        if frame_interval <= 0:
            return s.max_detect_every
        carried = int(s.max_track_seconds / frame_interval) + 1
        return max(1, min(s.max_detect_every, carried))

    def press(self, now: float, frame_interval: float = 0.0) -> None:
        """A frame is leaving late: take the next rung down."""
        self._pressed = now
        self._step_down(now, frame_interval, None)

    def observe(self, seconds: float, frame_interval: float, now: float) -> None:
        """Record one detector run; maybe take a rung down, or climb one back."""
        self._mean = seconds if self._mean is None else 0.7 * self._mean + 0.3 * seconds
        s = self.settings
        if frame_interval <= 0:
            return
        load = self._mean / (self.detect_every * frame_interval)
        if load > s.target_load:
            self._step_down(
                now, frame_interval, math.ceil(self._mean / (s.target_load * frame_interval))
            )
        elif load < s.target_load / 3 and now - self._pressed >= 5 * self.settle:
            self._step_up(now)

    def _can_take(self, rung: Shed, frame_interval: float) -> bool:
        if rung is Shed.INTERVAL:
            return self.detect_every < self.longest_interval(frame_interval)
        if rung is Shed.RESOLUTION:
            return self.level < len(self.settings.sides) - 1
        return rung not in self.shed

    def _step_down(self, now: float, frame_interval: float, needed: int | None) -> None:
        if not self.adapt:
            return
        rung = next((r for r in self.order if self._can_take(r, frame_interval)), None)
        if rung is None:
            return
        if rung in PROTECTIVE:
            if now - self._changed < self.settle:
                return
            self._changed = now
        if rung is Shed.INTERVAL:
            longest = self.longest_interval(frame_interval)
            self.detect_every = min(longest, max(needed or 0, self.detect_every + 1))
        elif rung is Shed.RESOLUTION:
            self.level += 1
            self._mean = None  # the next runs are on a smaller image
        else:
            self.shed.add(rung)
        self.taken.append(rung)
        self.steps_down += 1

    def _step_up(self, now: float) -> None:
        if not self.adapt or now - self._changed < self.settle:
            return
        rung = next((r for r in reversed(self.order) if self.sheds(r)), None)
        if rung is None:
            return
        if rung is Shed.RESOLUTION:
            self.level -= 1
            self._mean = None
        elif rung is Shed.INTERVAL:
            self.detect_every -= 1
        else:
            self.shed.discard(rung)
        self._changed = now


@dataclass
class SinkShedding:
    """Which frames the sinks that protect nobody still get, from the degrader's shed rungs."""

    degrader: Degrader
    _preview_at: float = -math.inf
    _restream_count: int = 0

    def preview_due(self, stamp: float) -> bool:
        """Whether the preview takes the frame at ``stamp`` (about once a second when shed)."""
        if self.degrader.sheds(Shed.PREVIEW) and 0 <= stamp - self._preview_at < PREVIEW_SECONDS:
            return False
        self._preview_at = stamp
        return True

    def restream_due(self) -> bool:
        """Whether the restream takes the next frame (every other one when shed)."""
        self._restream_count += 1
        return not self.degrader.sheds(Shed.RESTREAM) or self._restream_count % RESTREAM_EVERY == 0
