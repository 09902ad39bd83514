"""Regional detection between full passes (veil.vision.regions): where it looks, that a face
found in a shrunk crop lands where a full pass finds it, and that motion outside the tracked
faces is looked at where it happens."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.vision.astronaut import ASTRONAUT_FACE
from veil.vision.detections import Detections, box_iou
from veil.vision.detectors import get_detector
from veil.vision.regions import (
    GAP,
    MotionCells,
    Region,
    RegionSettings,
    detect_in_regions,
    pack,
    plan_regions,
)

SHAPE = (720, 1280, 3)


def _faces(*boxes: tuple[float, float, float, float]) -> Detections:
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.ones(len(boxes), np.float32))


def test_a_tracked_face_is_looked_at_in_a_shrunk_crop_around_it() -> None:
    s = RegionSettings()
    moved = np.zeros((720 // s.cell, 1280 // s.cell), dtype=bool)
    moved[3:5, 4:6] = True  # the face itself moving: no region of its own
    plan = plan_regions(SHAPE, _faces((300, 200, 400, 360)), moved, s)
    assert plan == [Region(240, 104, 460, 456, s.face_px / 160)]


def test_a_small_face_is_never_enlarged_and_crops_stop_at_the_frame() -> None:
    s = RegionSettings()
    moved = np.zeros((720 // s.cell, 1280 // s.cell), dtype=bool)
    plan = plan_regions(SHAPE, _faces((0, 690, 40, 720)), moved, s)
    assert plan == [Region(0, 672, 64, 720, 1.0)]


def test_motion_away_from_tracked_faces_gets_a_region_at_the_motion_scale() -> None:
    s = RegionSettings()
    moved = np.zeros((720 // s.cell, 1280 // s.cell), dtype=bool)
    moved[8, 15:17] = True  # someone walking in at the right
    plan = plan_regions(SHAPE, Detections.empty(), moved, s)
    assert plan == [Region(14 * 64, 7 * 64, 18 * 64, 10 * 64, s.motion_scale)]


def test_too_much_to_look_at_asks_for_a_full_pass() -> None:
    s = RegionSettings()
    moved = np.ones((720 // s.cell, 1280 // s.cell), dtype=bool)  # a pan: everything moved
    assert plan_regions(SHAPE, Detections.empty(), moved, s) is None
    still = np.zeros_like(moved)
    far = _faces(*[(x, y, x + 60, y + 70) for x in range(0, 1200, 150) for y in (50, 300, 550)])
    assert plan_regions(SHAPE, far, still, s) is None  # 24 small faces: crops at full size
    near = _faces(*[(x, 100, x + 250, 400) for x in range(0, 1200, 300)])
    plan = plan_regions(SHAPE, near, still, s)  # large faces are looked at shrunk: cheap
    assert plan is not None and sum(r.cost for r in plan) < 0.1 * 1280 * 720


def test_motion_cells_see_a_change_where_it_happens() -> None:
    cells = MotionCells(64)
    frame = np.full(SHAPE, 90, np.uint8)
    assert cells.update(frame).all()  # the first frame: everything is new
    assert not cells.update(frame.copy()).any()
    changed = frame.copy()
    changed[130:250, 900:1000] = 230
    moved = cells.update(changed)
    assert {tuple(c) for c in np.argwhere(moved)} == {
        (r, c) for r in range(2, 4) for c in range(14, 16)
    }


def test_a_face_found_in_a_shrunk_crop_lands_where_the_full_pass_finds_it(
    astronaut_bgr: np.ndarray,
) -> None:
    frame = np.zeros(SHAPE, np.uint8)
    frame[100:612, 500:1012] = astronaut_bgr
    detector = get_detector("centerface")
    full = detector.detect(frame)
    truth = ASTRONAUT_FACE + np.array([500, 100, 500, 100], np.float32)
    assert box_iou(full.boxes, truth).max() > 0.5
    moved = np.zeros((720 // 64, 1280 // 64), dtype=bool)
    plan = plan_regions(SHAPE, full, moved, RegionSettings())
    assert plan is not None and len(plan) == 1 and plan[0].scale < 1.0
    regional = detect_in_regions(detector.detect, frame, plan)
    assert len(regional) == 1
    assert box_iou(regional.boxes, full.boxes)[0, 0] > 0.7


def test_overlapping_regions_give_one_face_in_frame_coordinates() -> None:
    frame = np.zeros(SHAPE, np.uint8)
    frame[300:340, 600:640] = 255

    seen: list[tuple[int, ...]] = []

    def bright_squares(picture: np.ndarray) -> Detections:  # a stand-in detector
        seen.append(picture.shape)
        bright = (cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY) > 128).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(bright)
        return _faces(*[(x, y, x + w, y + h) for x, y, w, h, _ in stats[1:count]])

    plan = [Region(500, 200, 700, 400, 1.0), Region(560, 260, 760, 460, 0.5)]
    found = detect_in_regions(bright_squares, frame, plan)
    assert seen == [(256, 384, 3)]  # one run, on the smallest canvas that holds both crops
    assert len(found) == 1
    assert np.allclose(found.boxes[0], [600, 300, 640, 340], atol=2)


def test_crops_are_packed_apart_and_what_fits_no_canvas_is_a_full_pass() -> None:
    packed = pack([Region(0, 0, 100, 100), Region(0, 0, 300, 60, 0.5), Region(0, 0, 90, 120)])
    assert packed is not None
    width, height, placed = packed
    assert (width, height) == (256, 192)  # the smallest canvas that holds them, not a square
    boxes = [(p.x, p.y, p.x + p.w, p.y + p.h) for p in placed]
    for i, a in enumerate(boxes):  # GAP pixels between any two crops, all on the canvas
        assert a[2] <= width and a[3] <= height
        for b in boxes[i + 1 :]:
            assert (
                a[2] + GAP <= b[0] or b[2] + GAP <= a[0] or a[3] + GAP <= b[1] or b[3] + GAP <= a[1]
            )
    assert pack([Region(0, 0, 600, 600)]) is None
    strip = np.zeros((720 // 64, 1280 // 64), dtype=bool)
    strip[5, :] = True  # cheap enough (7% of a full pass at half scale) but wider than any canvas
    assert plan_regions(SHAPE, Detections.empty(), strip, RegionSettings()) is None
    with pytest.raises(ValueError, match="do not fit one canvas"):
        detect_in_regions(lambda picture: Detections.empty(), np.zeros(SHAPE, np.uint8),
                          [Region(0, 0, 600, 600)])  # fmt: skip
