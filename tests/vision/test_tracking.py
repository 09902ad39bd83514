from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.vision.detections import Detections
from veil.vision.tracking import FaceTracker, TrackerSettings


def face_at(x: float, y: float = 50, size: float = 40) -> Detections:
    return Detections([[x, y, x + size, y + size]], [0.9])


def covers(outer: np.ndarray, inner: np.ndarray) -> bool:
    return bool(
        outer[0] <= inner[0] + 1e-3
        and outer[1] <= inner[1] + 1e-3
        and outer[2] >= inner[2] - 1e-3
        and outer[3] >= inner[3] - 1e-3
    )


def test_face_stays_masked_through_short_misses_then_expires() -> None:
    tracker = FaceTracker(TrackerSettings(max_misses=3))
    for x in (10, 12, 14):
        out = tracker.update(face_at(x))
    track_id = int(out.track_ids[0])
    for _ in range(3):
        held = tracker.update(Detections.empty())
        assert len(held) == 1 and int(held.track_ids[0]) == track_id
        assert covers(held.boxes[0], face_at(16).boxes[0])  # still over where the face went
    assert len(tracker.update(Detections.empty())) == 0
    assert tracker.held_faces == 3


def test_track_ids_are_stable_and_distinct() -> None:
    tracker = FaceTracker()
    two = Detections.concatenate([face_at(10), face_at(200)])
    first = tracker.update(two)
    second = tracker.update(Detections.concatenate([face_at(205), face_at(12)]))
    assert set(first.track_ids.tolist()) == set(second.track_ids.tolist())
    assert len(set(first.track_ids.tolist())) == 2


def test_skipped_frames_do_not_age_tracks() -> None:
    tracker = FaceTracker(TrackerSettings(max_misses=1))
    tracker.update(face_at(10))
    for _ in range(5):
        assert len(tracker.predict()) == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(-2, 2)), min_size=2, max_size=30
    )
)
def test_smoothed_mask_always_covers_the_detection(moves: list[tuple[float, float, float]]) -> None:
    """Smoothing stops jitter but must never uncover any part of a detected face."""
    tracker = FaceTracker()
    x, y, size = 100.0, 100.0, 50.0
    for dx, dy, ds in moves:
        x, y, size = x + dx, y + dy, max(10.0, size + ds)
        detection = face_at(x, y, size)
        out = tracker.update(detection)
        assert len(out) == 1
        assert covers(out.boxes[0], detection.boxes[0])


def test_jitter_is_damped() -> None:
    rng = np.random.default_rng(1)
    tracker = FaceTracker()
    raw_steps, tracked_steps = [], []
    previous_raw = previous_tracked = None
    for _ in range(60):
        jitter = rng.normal(0, 3, 4)
        detection = Detections([np.array([100, 100, 160, 160]) + jitter], [0.9])
        tracked = tracker.update(detection).boxes[0]
        if previous_raw is not None:
            raw_steps.append(np.abs(detection.boxes[0] - previous_raw).mean())
            tracked_steps.append(np.abs(tracked - previous_tracked).mean())
        previous_raw, previous_tracked = detection.boxes[0], tracked
    assert np.mean(tracked_steps) < 0.8 * np.mean(raw_steps)


def test_edges_moving_at_different_speeds_never_shrink_or_cross_a_box() -> None:
    # A face leaving at the right border: its box's right edge is clipped (still) while its left
    # edge moves right, so edge velocities converge. Predicted and held boxes keep their size.
    tracker = FaceTracker()
    for x0 in (560.0, 580.0, 600.0):
        tracker.update(Detections([[x0, 20, 640, 60]], [0.9]))
    last_width = 40.0
    for _ in range(4):
        box = tracker.predict().boxes[0]
        assert box[2] - box[0] >= last_width - 1e-3 and box[3] > box[1]
    for _ in range(3):
        box = tracker.update(Detections.empty()).boxes[0]
        assert box[2] - box[0] >= last_width - 1e-3 and box[3] > box[1]
