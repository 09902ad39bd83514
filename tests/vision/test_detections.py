from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.errors import DetectionError
from veil.vision.detections import Detections, box_iou


def test_shapes_are_normalised_and_validated() -> None:
    d = Detections([[0, 0, 10, 10], [5, 5, 20, 20]], [0.9, 0.4])
    assert d.boxes.dtype == np.float32 and d.boxes.shape == (2, 4)
    assert len(d) == 2
    with pytest.raises(DetectionError, match="2 boxes but 1 scores"):
        Detections([[0, 0, 1, 1], [0, 0, 2, 2]], [0.5])
    with pytest.raises(DetectionError, match="NaN"):
        Detections([[0, 0, np.nan, 1]], [0.5])


def test_filter_scale_clip_expand() -> None:
    d = Detections([[10, 10, 30, 50], [0, 0, 4, 4]], [0.9, 0.2])
    assert len(d.filter_score(0.5)) == 1
    scaled = d.scaled(2.0, 0.5, dx=1, dy=2)
    np.testing.assert_allclose(scaled.boxes[0], [21, 7, 61, 27])
    clipped = Detections([[-5, -5, 5, 5], [50, 50, 60, 60]], [1, 1]).clipped(20, 20)
    assert len(clipped) == 1 and clipped.boxes[0].tolist() == [0, 0, 5, 5]
    grown = d.expanded(2.0)
    np.testing.assert_allclose(grown.boxes[0], [0, -10, 40, 70])


def test_nms_keeps_best_of_overlapping() -> None:
    d = Detections([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.5, 0.9, 0.7])
    kept = d.nms(0.3)
    assert sorted(kept.scores.tolist()) == pytest.approx([0.7, 0.9])


def test_concatenate_and_records() -> None:
    a = Detections([[0, 0, 1, 1]], [0.5])
    joined = Detections.concatenate([a, Detections.empty(), a])
    assert len(joined) == 2
    assert joined.to_records()[0] == {"box": [0.0, 0.0, 1.0, 1.0], "score": 0.5}


boxes = st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(1, 100), st.floats(1, 100)).map(
    lambda t: [t[0], t[1], t[0] + t[2], t[1] + t[3]]
)


@given(boxes, boxes)
def test_iou_is_symmetric_bounded_and_one_on_itself(a: list[float], b: list[float]) -> None:
    ab = box_iou(np.array([a]), np.array([b]))[0, 0]
    ba = box_iou(np.array([b]), np.array([a]))[0, 0]
    assert 0.0 <= ab <= 1.0 + 1e-6
    assert ab == pytest.approx(ba, abs=1e-5)
    assert box_iou(np.array([a]), np.array([a]))[0, 0] == pytest.approx(1.0, abs=1e-5)
