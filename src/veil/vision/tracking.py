"""Carry faces across video frames so that no face flickers into view.

Detectors miss a face now and then (motion blur, a turned head). The tracker matches each frame's
detections to known faces by overlap and keeps a face masked for ``max_misses`` frames after its
last detection, moving it with its recent velocity and growing it slightly per missed frame.
Box edges are smoothed to stop the mask from jittering, but a smoothed box is always widened to
contain the raw detection, so smoothing never uncovers part of a face.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from veil.vision.detections import Detections, FloatArray, box_iou


@dataclass(frozen=True)
class TrackerSettings:
    """How long faces are held and how strongly boxes are smoothed.

    ``max_misses``: frames a face stays masked after its last detection. ``match_iou``: overlap
    needed to continue a track. ``smoothing``: weight of the previous box (0 = none).
    ``growth_per_miss``: relative growth of a held box per missed frame.
    """

    max_misses: int = 8
    match_iou: float = 0.2
    smoothing: float = 0.5
    growth_per_miss: float = 0.05


@dataclass
class _Track:
    track_id: int
    box: FloatArray
    score: float
    velocity: FloatArray = field(default_factory=lambda: np.zeros(4, np.float32))
    misses: int = 0
    hits: int = 1


class FaceTracker:
    """Stateful tracker for one video stream; call :meth:`update` once per frame, in order."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self.held_faces = 0  # face-frames masked only because the tracker held them

    def update(self, detections: Detections) -> Detections:
        """Match ``detections`` to tracks; return every face to mask in this frame, with ids."""
        s = self.settings
        matched_tracks: set[int] = set()
        matched_dets: set[int] = set()
        if self._tracks and len(detections):
            predicted = np.stack([_moved(t.box, t.velocity) for t in self._tracks])
            ious = box_iou(predicted, detections.boxes)
            for flat in np.argsort(-ious, axis=None):
                ti, di = np.unravel_index(flat, ious.shape)
                if ious[ti, di] < s.match_iou:
                    break
                if ti in matched_tracks or di in matched_dets:
                    continue
                matched_tracks.add(int(ti))
                matched_dets.add(int(di))
                self._continue(self._tracks[ti], detections.boxes[di], float(detections.scores[di]))
        for ti, track in enumerate(self._tracks):
            if ti not in matched_tracks:
                self._hold(track)
        self._tracks = [t for t in self._tracks if t.misses <= s.max_misses]
        for di in range(len(detections)):
            if di not in matched_dets:
                self._tracks.append(
                    _Track(self._next_id, detections.boxes[di].copy(), float(detections.scores[di]))
                )
                self._next_id += 1
        self.held_faces += sum(1 for t in self._tracks if t.misses > 0)
        return self._current()

    def predict(self) -> Detections:
        """Faces to mask in a frame the detector skipped: tracks moved by their velocity.

        Skipped frames are not misses: nothing was looked for, so tracks neither age nor grow.
        """
        for track in self._tracks:
            track.box = _moved(track.box, track.velocity * 0.5)
        return self._current()

    def current(self) -> Detections:
        """The faces held now, where they were last placed (nothing moves or ages)."""
        return self._current()

    def _current(self) -> Detections:
        if not self._tracks:
            return Detections.empty()
        return Detections(
            np.stack([t.box for t in self._tracks]),
            np.array([t.score for t in self._tracks], np.float32),
            track_ids=np.array([t.track_id for t in self._tracks], np.int64),
        )

    def _continue(self, track: _Track, box: FloatArray, score: float) -> None:
        alpha = self.settings.smoothing
        smoothed = alpha * track.box + (1 - alpha) * box
        covering = np.concatenate(
            [np.minimum(smoothed[:2], box[:2]), np.maximum(smoothed[2:], box[2:])]
        )
        track.velocity = np.asarray(0.5 * track.velocity + 0.5 * (box - track.box), np.float32)
        track.box = np.asarray(covering, np.float32)
        track.score = score
        track.misses = 0
        track.hits += 1

    def _hold(self, track: _Track) -> None:
        track.misses += 1
        track.box = _moved(track.box, track.velocity, 1 + self.settings.growth_per_miss)
        track.velocity = np.asarray(track.velocity * 0.5, np.float32)


def _moved(box: FloatArray, velocity: FloatArray, growth: float = 1.0) -> FloatArray:
    """``box`` moved by its edges' ``velocity`` where no detection placed it, never smaller.

    The centre follows the edges; the size may grow with them but never shrinks, because a face
    that was not looked at is not known to have shrunk (and edges moving at different speeds, as
    at a frame border, would otherwise cross and leave a box of negative size).
    """
    moved = box + velocity
    center = (moved[:2] + moved[2:]) / 2
    half = np.maximum(moved[2:] - moved[:2], box[2:] - box[:2]) / 2 * growth
    return np.asarray(np.concatenate([center - half, center + half]), np.float32)
