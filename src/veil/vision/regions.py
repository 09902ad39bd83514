"""Where to look between full-frame detections: around tracked faces, and where the picture moved.

A full-frame detection costs the same whatever is in the frame (at 720p, detection on every 2nd
frame was about half of ``veil blur``'s CPU; BENCHMARKS.md "CPU per stage"). Between full passes
a frame needs looking at only where a face can be:

- around each tracked face, to keep its mask on it: a crop ``margin`` of the box wider on every
  side, shrunk so that the face is about ``face_px`` tall (a large face is found as well at 80 px
  as at 300, for a fraction of the pixels);
- wherever the picture changed since the frame before, outside those crops: a face that walks
  in, turns round or is uncovered changes pixels where no track is. Changes are found on a
  strided grey thumbnail (:class:`MotionCells`), in cells of ``cell`` pixels, and detected at
  ``motion_scale`` (half size: on the live bench's clip it protected faces of 32 px and more as
  well as full size, for a quarter of the pixels; smaller faces wait for the next full pass).

When the regions, or the canvas they are packed onto, would cost more than ``max_area`` of a full
pass in pixels the detector sees (a pan, a shaking camera, a crowd), a full pass is cheaper and
:func:`plan_regions` says so by answering ``None``. Scene cuts and the schedule of full passes are
:mod:`veil.detection_schedule`'s. This module plans and runs the regional passes;
``bench/region_probe.py`` measures what they cost and protect against full passes on the same frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from veil.vision.detections import Detections
from veil.vision.policy import Frame
from veil.vision.scenecut import grey_sample

__all__ = [
    "Canvas", "MotionCells", "Region", "RegionSettings", "compose", "detect_in_regions", "pack",
    "plan_regions", "warm_up",
]  # fmt: skip


@dataclass(frozen=True)
class RegionSettings:
    """How regional passes are planned (see the module docstring)."""

    margin: float = 0.6  # share of a tracked box's size added on every side of its crop
    face_px: float = 80.0  # a tracked face is detected at about this height (never enlarged)
    cell: int = 64  # motion cells, in frame pixels
    motion: float = 16.0  # mean absolute grey change (0..255) of a cell that counts as moved
    motion_scale: float = 0.5  # scale moved regions are detected at (1.0: full resolution)
    max_area: float = 0.35  # regions or a canvas costing more than this share of a full pass


@dataclass(frozen=True)
class Region:
    """A crop of the frame (pixel bounds, end exclusive) and the scale it is detected at."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float = 1.0

    @property
    def area(self) -> int:
        """Pixels of the frame the region covers."""
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    @property
    def cost(self) -> float:
        """Pixels the detector sees: the area at the region's scale."""
        return self.area * self.scale * self.scale


class MotionCells:
    """Which ``cell``-sized cells of a video's frames changed since the frame before."""

    def __init__(self, cell: int = RegionSettings.cell) -> None:
        self.cell = cell
        self._previous: np.ndarray | None = None

    def _thumbnail(self, frame: Frame) -> np.ndarray:
        sample = grey_sample(frame, max(1, self.cell // 8))  # 8 x 8 samples per cell
        rows, cols = sample.shape[0] // 8, sample.shape[1] // 8
        return sample[: rows * 8, : cols * 8]

    def update(self, frame: Frame, level: float = RegionSettings.motion) -> np.ndarray:
        """Boolean ``[rows, cols]`` grid of cells whose mean grey change exceeds ``level``; every
        cell counts as moved on the first frame and when the frame size changes."""
        thumb = self._thumbnail(frame)
        previous, self._previous = self._previous, thumb
        rows, cols = thumb.shape[0] // 8, thumb.shape[1] // 8
        if previous is None or previous.shape != thumb.shape:
            return np.ones((rows, cols), dtype=bool)
        change = np.abs(thumb - previous).reshape(rows, 8, cols, 8).mean(axis=(1, 3))
        return np.asarray(change > level)

    def reset(self) -> None:
        """Forget the previous frame (after a cut or a seek)."""
        self._previous = None


def _track_region(box: np.ndarray, width: int, height: int, s: RegionSettings) -> Region:
    w, h = float(box[2] - box[0]), float(box[3] - box[1])
    x0 = max(0, int(np.floor(box[0] - s.margin * w)))
    y0 = max(0, int(np.floor(box[1] - s.margin * h)))
    x1 = min(width, int(np.ceil(box[2] + s.margin * w)))
    y1 = min(height, int(np.ceil(box[3] + s.margin * h)))
    scale = min(1.0, s.face_px / max(h, 1.0))
    return Region(x0, y0, max(x1, x0 + 1), max(y1, y0 + 1), scale)


def plan_regions(
    shape: tuple[int, ...], tracked: Detections, moved: np.ndarray, settings: RegionSettings
) -> list[Region] | None:
    """The regions to detect in a frame of ``shape`` between full passes: one per tracked face,
    and one per group of ``moved`` cells that no tracked region covers; ``None`` when they, or
    their canvas, would cost more than ``settings.max_area`` of a full pass, or none of
    :data:`CANVASES` holds them (do a full pass instead)."""
    height, width = int(shape[0]), int(shape[1])
    regions = [_track_region(b, width, height, settings) for b in tracked.boxes]
    free = moved.copy()
    c = settings.cell
    for r in regions:  # motion inside a face's crop is that face moving
        free[r.y0 // c : -(-r.y1 // c), r.x0 // c : -(-r.x1 // c)] = False
    if free.any():
        count, _, stats, _ = cv2.connectedComponentsWithStats(free.astype(np.uint8), connectivity=8)
        for x, y, w, h, _area in stats[1:count]:
            regions.append(  # one cell of margin: a face straddling the group's edge
                Region(
                    max(0, (int(x) - 1) * c),
                    max(0, (int(y) - 1) * c),
                    min(width, (int(x) + int(w) + 1) * c),
                    min(height, (int(y) + int(h) + 1) * c),
                    settings.motion_scale,
                )
            )
    most = settings.max_area * width * height
    if sum(r.cost for r in regions) > most:
        return None
    packed = pack(regions)
    return regions if packed is not None and packed[0] * packed[1] <= most else None


SIDES = (128, 192, 256, 320, 384, 448, 512)  # at most 512: a 720p frame at half size is a full pass
CANVASES = tuple(
    sorted(
        ((w, h) for w in SIDES for h in SIDES if max(w, h) <= 2 * min(w, h)),
        key=lambda size: (size[0] * size[1], -size[0]),
    )
)  # (width, height) a frame's regions are packed onto, smallest first; a runtime keeps a plan each
GAP = 32  # black pixels between packed crops: the network's stride, so no face spans two crops


@dataclass(frozen=True)
class _Placed:
    region: Region
    x: int  # where the shrunk crop sits on the canvas
    y: int
    w: int
    h: int


def _shelves(sized: list[tuple[int, int, Region]], width: int, height: int) -> list[_Placed]:
    """Crops (tallest first) placed in rows across a ``width`` x ``height`` canvas, :data:`GAP`
    apart; fewer than given when they do not all fit."""
    placed, x, y, row = [], 0, 0, 0
    for h, w, r in sized:
        if x + w > width:
            x, y, row = 0, y + row + GAP, 0
        if x + w > width or y + h > height:
            break
        placed.append(_Placed(r, x, y, w, h))
        x, row = x + w + GAP, max(row, h)
    return placed


def pack(regions: list[Region]) -> tuple[int, int, list[_Placed]] | None:
    """The smallest canvas of :data:`CANVASES` (width, height) that holds every region's shrunk
    crop, with where each sits; ``None`` when not even the largest does."""
    sized = []
    for r in regions:
        w = max(1, round((r.x1 - r.x0) * r.scale))
        h = max(1, round((r.y1 - r.y0) * r.scale))
        sized.append((h, w, r))
    sized.sort(key=lambda t: -t[0])
    for width, height in CANVASES:
        placed = _shelves(sized, width, height)
        if len(placed) == len(sized):
            return width, height, placed
    return None


def _shrunk(frame: Frame, p: _Placed) -> Frame:
    r = p.region
    crop: Frame = frame[r.y0 : r.y1, r.x0 : r.x1]
    if (crop.shape[1], crop.shape[0]) == (p.w, p.h):
        return crop
    return np.asarray(cv2.resize(crop, (p.w, p.h), interpolation=cv2.INTER_AREA), np.uint8)


@dataclass(frozen=True)
class Canvas:
    """A frame's regions packed onto one black canvas (what the detector runs on)."""

    pixels: Frame
    placed: tuple[_Placed, ...]

    def faces_in_frame(self, found: Detections) -> Detections:
        """Faces found on the canvas, mapped back to the frame from the crop each face's centre
        lies in; faces found twice where regions overlap are merged (non-maximum suppression)."""
        centers = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2
        parts = []
        for p in self.placed:
            inside = (
                (centers[:, 0] >= p.x) & (centers[:, 0] < p.x + p.w)
                & (centers[:, 1] >= p.y) & (centers[:, 1] < p.y + p.h)
            )  # fmt: skip
            if not inside.any():
                continue
            r = p.region
            sx, sy = (r.x1 - r.x0) / p.w, (r.y1 - r.y0) / p.h
            local = found[inside].scaled(1.0, 1.0, -p.x, -p.y).clipped(p.w, p.h)
            parts.append(local.scaled(sx, sy, dx=r.x0, dy=r.y0))
        return Detections.concatenate(parts).nms() if parts else Detections.empty()


def compose(frame: Frame, regions: Sequence[Region]) -> Canvas:
    """The regions' crops of ``frame``, shrunk by their scales, on the smallest canvas of
    :data:`CANVASES` that holds them (a runtime keeps one plan per size)."""
    packed = pack(list(regions))
    if packed is None:
        raise ValueError("the regions do not fit one canvas: plan_regions never plans these")
    width, height, placed = packed
    pixels = np.zeros((height, width, 3), np.uint8)
    for p in placed:
        pixels[p.y : p.y + p.h, p.x : p.x + p.w] = _shrunk(frame, p)
    return Canvas(pixels, tuple(placed))


def warm_up(detect: Callable[[Frame], object]) -> None:
    """Run ``detect`` once on a black canvas of every size of :data:`CANVASES`, so that no frame
    waits for a runtime's first plan of a size (about 20 ms each for OpenVINO)."""
    for width, height in CANVASES:
        detect(np.zeros((height, width, 3), np.uint8))


def detect_in_regions(
    detect: Callable[[Frame], Detections], frame: Frame, regions: Sequence[Region]
) -> Detections:
    """Find faces in the regions with one ``detect`` run on their :func:`compose` canvas (none
    when there are no regions), mapped back to ``frame``."""
    if not regions:
        return Detections.empty()
    canvas = compose(frame, regions)
    return canvas.faces_in_frame(detect(canvas.pixels))
