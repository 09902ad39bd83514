"""Where to look between full-frame detections: around tracked faces, and where the picture moved.

A full-frame detection costs the same whatever is in the frame (282 CPU ms at 720p here, about
two thirds of ``veil blur``'s CPU; BENCHMARKS.md "CPU per stage"). Between full passes a frame
needs looking at only where a face can be:

- around each tracked face, to keep its mask on it: a crop ``margin`` of the box wider on every
  side, shrunk so that the face is about ``face_px`` tall (a large face is found as well at 80 px
  as at 300, for a fraction of the pixels);
- wherever the picture changed since the frame before, outside those crops: a face that walks
  in, turns round or is uncovered changes pixels where no track is. Changes are found on a
  strided grey thumbnail (:class:`MotionCells`), in cells of ``cell`` pixels, and detected at
  full resolution (a new face may be small).

When the regions would cover more than ``max_area`` of the frame (a pan, a shaking camera, a
crowd), a full pass is cheaper and :func:`plan_regions` says so by answering ``None``. Scene
cuts and the schedule of full passes stay with the caller (:func:`veil.framestep.detection_due`).
This module only plans and runs the regional passes; ``bench/region_probe.py`` measures what they
cost and protect against full passes on the same frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from veil.vision.detections import Detections
from veil.vision.policy import Frame

__all__ = ["MotionCells", "Region", "RegionSettings", "detect_in_regions", "plan_regions"]


@dataclass(frozen=True)
class RegionSettings:
    """How regional passes are planned (see the module docstring)."""

    margin: float = 0.6  # share of a tracked box's size added on every side of its crop
    face_px: float = 80.0  # a tracked face is detected at about this height (never enlarged)
    cell: int = 64  # motion cells, in frame pixels
    motion: float = 8.0  # mean absolute grey change (0..255) of a cell that counts as moved
    max_area: float = 0.35  # regions covering more of the frame than this: a full pass


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


class MotionCells:
    """Which ``cell``-sized cells of a video's frames changed since the frame before."""

    def __init__(self, cell: int = RegionSettings.cell) -> None:
        self.cell = cell
        self._previous: np.ndarray | None = None

    def _thumbnail(self, frame: Frame) -> np.ndarray:
        step = max(1, self.cell // 8)  # 8 x 8 samples per cell
        sample = np.asarray(frame[step // 2 :: step, step // 2 :: step], np.float32)
        if sample.ndim == 3:
            sample = sample[..., 0] * 0.114 + sample[..., 1] * 0.587 + sample[..., 2] * 0.299
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
    and one per group of ``moved`` cells that no tracked region covers; ``None`` when they would
    cover more than ``settings.max_area`` of the frame (do a full pass)."""
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
                )
            )
    if sum(r.area for r in regions) > settings.max_area * width * height:
        return None
    return regions


def detect_in_regions(
    detect: Callable[[Frame], Detections], frame: Frame, regions: list[Region]
) -> Detections:
    """Run ``detect`` on each region's crop (shrunk by its scale) and map the faces back to the
    frame; faces found twice where regions overlap are merged (non-maximum suppression)."""
    parts = []
    for r in regions:
        crop: Frame = np.ascontiguousarray(frame[r.y0 : r.y1, r.x0 : r.x1])
        sx = sy = 1.0
        if r.scale < 1.0:
            size = (max(1, round(crop.shape[1] * r.scale)), max(1, round(crop.shape[0] * r.scale)))
            crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8)
            sx, sy = (r.x1 - r.x0) / size[0], (r.y1 - r.y0) / size[1]
        parts.append(detect(crop).scaled(sx, sy, dx=r.x0, dy=r.y0))
    if not parts:
        return Detections.empty()
    return Detections.concatenate(parts).nms()
