"""Measure face detection and redaction against labelled boxes (``boxes.csv``).

A labelled folder holds images and a ``boxes.csv`` with columns ``image,x,y,w,h,ignore`` (pixels,
top-left origin, ``image`` relative to the folder; ``ignore=1`` marks boxes the source flags invalid
or degenerate). For every image, a detector runs with the settings ``veil blur`` would use, the
redaction mask is rendered by :func:`veil.vision.redact.redact_faces` itself (same shape and mask
scale), and three figures are counted per face-size bucket (short side of the labelled box):

* **protected recall**: a labelled face is *protected* when at least ``coverage`` (default 80%) of
  its box lies under the mask actually produced. This is what privacy needs.
* **recall at IoU 0.5**: a labelled face is *matched* when a detection overlaps it with IoU >= 0.5
  (greedy, highest score first, one detection per face).
* **precision**: matched detections over all detections, bucketed by the detection's short side.

``ignore=1`` boxes count neither as misses nor make the detections that match them false positives.
Labelled sets rarely mark every background face, so precision understates on such sets.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from veil.core.frame import Frame
from veil.errors import BadInputError, MediaError
from veil.vision.detections import BoolArray, Detections, FloatArray, box_iou
from veil.vision.detectors import Detector
from veil.vision.masks import box_coverage as box_coverage
from veil.vision.masks import redaction_mask as redaction_mask
from veil.vision.redact import RedactionSettings

PROTECTED_COVERAGE = 0.8
MATCH_IOU = 0.5
BOXES_FILE = "boxes.csv"
_COLUMNS = ("image", "x", "y", "w", "h", "ignore")


@dataclass(frozen=True)
class SizeBucket:
    """Faces whose short side is in ``[low, high)`` pixels."""

    name: str
    low: float
    high: float

    def contains(self, sizes: FloatArray) -> BoolArray:
        """Which of ``sizes`` (short sides in pixels) fall in this bucket."""
        return np.asarray((sizes >= self.low) & (sizes < self.high), dtype=np.bool_)


SIZE_BUCKETS: tuple[SizeBucket, ...] = (
    SizeBucket("<16", 0.0, 16.0),
    SizeBucket("16-32", 16.0, 32.0),
    SizeBucket("32-64", 32.0, 64.0),
    SizeBucket(">=64", 64.0, math.inf),
)
SUMMARY_BUCKETS: tuple[SizeBucket, ...] = (
    SizeBucket(">=32", 32.0, math.inf),
    SizeBucket("all", 0.0, math.inf),
)


@dataclass(frozen=True)
class LabelledImage:
    """One image and its labelled faces: ``boxes`` ``[n, 4]`` x1 y1 x2 y2, ``ignore`` ``[n]``."""

    path: Path
    boxes: FloatArray
    ignore: BoolArray


def read_boxes_csv(location: Path) -> list[LabelledImage]:
    """Read ``location/boxes.csv`` (or the csv file ``location``), in file order.

    Rows of one image are grouped; an image listed only with ignored boxes is evaluated for false
    positives. Raises :class:`~veil.errors.BadInputError` with the line number on a malformed
    file, and when a listed image does not exist.
    """
    csv_path = location / BOXES_FILE if location.is_dir() else location
    if not csv_path.is_file():
        raise BadInputError(f"{csv_path}: no such file (expected {BOXES_FILE} in the folder)")
    root = csv_path.parent
    rows: dict[str, list[tuple[float, float, float, float, bool]]] = {}
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != _COLUMNS:
                raise BadInputError(
                    f"{csv_path}: expected the header {','.join(_COLUMNS)}, got {header!r}"
                )
            for line, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                rows.setdefault(_image_name(csv_path, line, row), []).append(
                    _parse_box(csv_path, line, row)
                )
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{csv_path}: not a UTF-8 text file ({exc.reason})") from exc
    images: list[LabelledImage] = []
    for name, boxes in rows.items():
        path = root / name
        if not path.is_file():
            raise BadInputError(f"{csv_path}: image {name!r} not found in {root}")
        data = np.array([b[:4] for b in boxes], np.float32).reshape(-1, 4)
        xyxy = np.concatenate([data[:, :2], data[:, :2] + data[:, 2:]], axis=1)
        images.append(LabelledImage(path, xyxy, np.array([b[4] for b in boxes], np.bool_)))
    return images


def _image_name(csv_path: Path, line: int, row: list[str]) -> str:
    if len(row) != len(_COLUMNS):
        raise BadInputError(f"{csv_path}:{line}: expected {len(_COLUMNS)} columns, got {len(row)}")
    name = row[0].strip()
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise BadInputError(f"{csv_path}:{line}: image must be a relative path, got {name!r}")
    return name


def _parse_box(
    csv_path: Path, line: int, row: list[str]
) -> tuple[float, float, float, float, bool]:
    try:
        x, y, w, h = (float(v) for v in row[1:5])
        flag = int(row[5])
    except ValueError as exc:
        raise BadInputError(f"{csv_path}:{line}: not a number ({exc})") from exc
    if flag not in (0, 1):
        raise BadInputError(f"{csv_path}:{line}: ignore must be 0 or 1, got {flag}")
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise BadInputError(f"{csv_path}:{line}: box values must be finite")
    if not flag and (w <= 0 or h <= 0):
        raise BadInputError(f"{csv_path}:{line}: empty box ({w}x{h}) not marked ignore=1")
    return x, y, w, h, bool(flag)


@dataclass(frozen=True)
class ImageScore:
    """Per-face and per-detection outcomes of one image (arrays in label / detection order)."""

    face_sizes: FloatArray  # short side of each labelled face (non-ignored only)
    protected: BoolArray
    matched: BoolArray
    detection_sizes: FloatArray  # short side of each counted detection
    true_positive: BoolArray
    masked_fraction: float = 0.0  # share of the picture under the mask


def score_image(
    boxes: FloatArray,
    ignore: BoolArray,
    found: Detections,
    mask: BoolArray,
    coverage: float = PROTECTED_COVERAGE,
) -> ImageScore:
    """Score one image's detections and redaction mask against its labelled faces."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    ignore = np.asarray(ignore, np.bool_).reshape(-1)
    real = boxes[~ignore]
    ignored = boxes[ignore]
    sizes = np.minimum(real[:, 2] - real[:, 0], real[:, 3] - real[:, 1]).astype(np.float32)
    protected = box_coverage(mask, real) >= coverage
    matched = np.zeros(len(real), np.bool_)
    order = np.argsort(-found.scores, kind="stable")
    det_boxes = found.boxes[order]
    ious = box_iou(det_boxes, real)
    ious_ignored = box_iou(det_boxes, ignored)
    true_positive = np.zeros(len(det_boxes), np.bool_)
    counted = np.ones(len(det_boxes), np.bool_)
    for d in range(len(det_boxes)):
        if len(real):
            candidates = np.where(matched, -1.0, ious[d])
            best = int(np.argmax(candidates))
            if candidates[best] >= MATCH_IOU:
                matched[best] = True
                true_positive[d] = True
                continue
        if len(ignored) and float(ious_ignored[d].max()) >= MATCH_IOU:
            counted[d] = False
    det_sizes = np.minimum(
        det_boxes[:, 2] - det_boxes[:, 0], det_boxes[:, 3] - det_boxes[:, 1]
    ).astype(np.float32)
    return ImageScore(
        sizes,
        protected,
        matched,
        det_sizes[counted],
        np.asarray(true_positive[counted]),
        float(mask.mean()) if mask.size else 0.0,
    )


@dataclass(frozen=True)
class BucketScore:
    """Counts and rates for one face-size bucket."""

    bucket: str
    faces: int
    protected: int
    matched: int
    detections: int
    true_positives: int

    @property
    def protected_recall(self) -> float | None:
        """Share of labelled faces at least ``coverage`` under the mask (None: no faces)."""
        return self.protected / self.faces if self.faces else None

    @property
    def recall_iou50(self) -> float | None:
        """Share of labelled faces matched by a detection at IoU >= 0.5."""
        return self.matched / self.faces if self.faces else None

    @property
    def precision(self) -> float | None:
        """Share of detections that match a labelled face (None: no detections)."""
        return self.true_positives / self.detections if self.detections else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (rates rounded to 4 places)."""

        def rate(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "bucket": self.bucket,
            "faces": self.faces,
            "protected": self.protected,
            "matched": self.matched,
            "detections": self.detections,
            "true_positives": self.true_positives,
            "protected_recall": rate(self.protected_recall),
            "recall_iou50": rate(self.recall_iou50),
            "precision": rate(self.precision),
        }


@dataclass
class Tally:
    """Accumulates :class:`ImageScore` s and reports them per bucket."""

    face_sizes: list[FloatArray] = field(default_factory=list)
    protected: list[BoolArray] = field(default_factory=list)
    matched: list[BoolArray] = field(default_factory=list)
    detection_sizes: list[FloatArray] = field(default_factory=list)
    true_positive: list[BoolArray] = field(default_factory=list)
    masked: list[float] = field(default_factory=list)

    @property
    def masked_fraction(self) -> float:
        """Mean share of each picture under the mask (0 with no image)."""
        return float(np.mean(self.masked)) if self.masked else 0.0

    def add(self, score: ImageScore) -> None:
        """Count one image."""
        self.masked.append(score.masked_fraction)
        self.face_sizes.append(score.face_sizes)
        self.protected.append(score.protected)
        self.matched.append(score.matched)
        self.detection_sizes.append(score.detection_sizes)
        self.true_positive.append(score.true_positive)

    def buckets(
        self, buckets: Sequence[SizeBucket] = SIZE_BUCKETS + SUMMARY_BUCKETS
    ) -> list[BucketScore]:
        """Counts per bucket (by default the four size buckets, then ``>=32`` and ``all``)."""
        sizes = _join(self.face_sizes, np.float32)
        protected = _join(self.protected, np.bool_)
        matched = _join(self.matched, np.bool_)
        det_sizes = _join(self.detection_sizes, np.float32)
        true_positive = _join(self.true_positive, np.bool_)
        scores = []
        for bucket in buckets:
            faces = bucket.contains(sizes)
            dets = bucket.contains(det_sizes)
            scores.append(
                BucketScore(
                    bucket.name,
                    int(faces.sum()),
                    int(protected[faces].sum()),
                    int(matched[faces].sum()),
                    int(dets.sum()),
                    int(true_positive[dets].sum()),
                )
            )
        return scores


def _join(parts: list[Any], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


@dataclass(frozen=True)
class EvaluationReport:
    """The result of :func:`score_detector`: per-bucket scores plus what produced them."""

    dataset: str
    images: int
    buckets: list[BucketScore]
    settings: dict[str, Any]
    seconds: float
    failed_images: list[str] = field(default_factory=list)
    masked_fraction: float = 0.0  # mean share of each picture under the mask

    def bucket(self, name: str) -> BucketScore:
        """The scores of one bucket by name (``"<16"``, ..., ``">=32"``, ``"all"``)."""
        for score in self.buckets:
            if score.bucket == name:
                return score
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "dataset": self.dataset,
            "images": self.images,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "seconds_per_image": round(self.seconds / self.images, 4) if self.images else None,
            "failed_images": self.failed_images,
            "masked_fraction": round(self.masked_fraction, 4),
            "buckets": [b.to_dict() for b in self.buckets],
        }


def score_detector(
    images: Iterable[LabelledImage],
    detector: Detector,
    threshold: float,
    redaction: RedactionSettings,
    read: Callable[[Path], Frame],
    *,
    dataset: str = "",
    settings: dict[str, Any] | None = None,
    coverage: float = PROTECTED_COVERAGE,
    progress: Callable[[LabelledImage], None] | None = None,
) -> EvaluationReport:
    """Run ``detector`` on every image ``read`` returns, render the redaction mask, and score it.

    ``read`` gives an image's pixels (upright, BGR) or raises :class:`~veil.errors.MediaError`;
    such an image is listed in ``failed_images`` and its faces count as unprotected (fail closed
    would blank it, but a reader failure here is a data problem worth seeing in the figures).
    Reading files is left to the caller (:func:`veil.detector_eval.evaluate`), so vision needs
    no media code.
    """
    tally = Tally()
    failed: list[str] = []
    count = 0
    started = time.perf_counter()
    for item in images:
        count += 1
        try:
            pixels: Frame | None = read(item.path)
        except MediaError:
            failed.append(str(item.path))
            pixels = None
        if pixels is None:
            height = width = 1
            found = Detections.empty()
        else:
            height, width = pixels.shape[:2]
            found = detector.detect(pixels).filter_score(threshold).clipped(width, height)
        mask = redaction_mask(height, width, found, redaction)
        tally.add(score_image(item.boxes, item.ignore, found, mask, coverage))
        if progress is not None:
            progress(item)
    return EvaluationReport(
        dataset=dataset,
        images=count,
        buckets=tally.buckets(),
        settings=dict(settings or {}),
        seconds=time.perf_counter() - started,
        failed_images=failed,
        masked_fraction=tally.masked_fraction,
    )
