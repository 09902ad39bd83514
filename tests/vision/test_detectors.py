from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vision.astronaut import ASTRONAUT_FACE
from veil.errors import ConfigError, DetectionError
from veil.vision.detections import box_iou
from veil.vision.detectors import DETECTORS, DetectorSettings, get_detector
from veil.vision.tiling import plan_tiles


def test_unknown_detector_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown detector 'nope'"):
        get_detector("nope")


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_finds_the_astronaut(name: str, astronaut_bgr: np.ndarray) -> None:
    found = get_detector(name).detect(astronaut_bgr)
    assert len(found) >= 1
    best = int(np.argmax(found.scores))
    assert box_iou(found.boxes[best : best + 1], ASTRONAUT_FACE)[0, 0] > 0.5


def test_centerface_finds_only_the_astronaut(astronaut_bgr: np.ndarray) -> None:
    assert len(get_detector("centerface").detect(astronaut_bgr)) == 1


def test_centerface_finds_nothing_in_a_blank_frame() -> None:
    assert len(get_detector("centerface").detect(np.zeros((240, 320, 3), np.uint8))) == 0


def test_centerface_handles_odd_sizes_and_downscaling(astronaut_bgr: np.ndarray) -> None:
    odd = cv2.resize(astronaut_bgr, (333, 251))
    found = get_detector("centerface").detect(odd)
    assert len(found) == 1 and (found.boxes[:, 2] <= 333).all() and (found.boxes[:, 3] <= 251).all()
    big = cv2.resize(astronaut_bgr, (2048, 2048))
    for tiles in (False, True):
        found = get_detector("centerface", DetectorSettings(max_side=512, tiles=tiles)).detect(big)
        assert len(found) >= 1
        assert box_iou(found.boxes, ASTRONAUT_FACE * 4).max() > 0.5


def test_tiles_find_a_small_face_in_a_large_frame(astronaut_bgr: np.ndarray) -> None:
    canvas = np.full((1600, 2400, 3), 90, np.uint8)
    face = cv2.resize(astronaut_bgr[40:200, 160:290], (32, 39))  # a ~32 px face
    canvas[1200:1239, 1900:1932] = face
    target = np.array([[1900, 1200, 1932, 1239]], np.float32)
    shrunk = get_detector("centerface", DetectorSettings(max_side=640)).detect(canvas)
    tiled = get_detector("centerface", DetectorSettings(max_side=640, tiles=True)).detect(canvas)
    # Shrinking the frame to 640 px makes the face ~9 px: too small to see. Tiles keep it whole.
    assert not len(shrunk) or box_iou(shrunk.boxes, target).max() < 0.3
    assert len(tiled) and box_iou(tiled.boxes, target).max() > 0.3


def test_detector_rejects_wrong_input() -> None:
    with pytest.raises(DetectionError):
        get_detector("centerface").detect(np.zeros((10, 10), np.uint8))


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(64, 1024))
def test_tiles_cover_the_frame(width: int, height: int, tile: int) -> None:
    tiles = plan_tiles(width, height, tile)
    for x0, y0, x1, y1 in tiles:
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        assert x1 - x0 <= tile and y1 - y0 <= tile
    xs = sorted({(x0, x1) for x0, _, x1, _ in tiles})
    ys = sorted({(y0, y1) for _, y0, _, y1 in tiles})
    assert xs[0][0] == 0 and xs[-1][1] == width and ys[0][0] == 0 and ys[-1][1] == height
    for (_, a1), (b0, _) in itertools.pairwise(xs):
        assert b0 < a1  # neighbours overlap
