"""Evaluation of detection and redaction against boxes.csv: parsing, coverage, matching, buckets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from veil.detector_eval import evaluate
from veil.errors import BadInputError
from veil.media.images import write_image
from veil.vision.detections import Detections
from veil.vision.evaluation import (
    SIZE_BUCKETS,
    LabelledImage,
    Tally,
    box_coverage,
    read_boxes_csv,
    redaction_mask,
    score_image,
)
from veil.vision.redact import MaskShape, RedactionSettings

HEADER = "image,x,y,w,h,ignore\n"


def write_csv(folder: Path, body: str, images: tuple[str, ...] = ("a.png",)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in images:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_image(folder / name, np.zeros((100, 120, 3), np.uint8))
    (folder / "boxes.csv").write_text(body)
    return folder


def dets(*boxes: tuple[float, float, float, float], score: float = 0.9) -> Detections:
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), score))


# boxes.csv parsing ------------------------------------------------------------------------------


def test_boxes_csv_groups_rows_per_image_in_file_order(tmp_path: Path) -> None:
    folder = write_csv(
        tmp_path,
        HEADER + "sub/b.png,10,20,30,40,0\na.png,1,2,3,4,0\nsub/b.png,0,0,0,0,1\n\n",
        images=("a.png", "sub/b.png"),
    )
    images = read_boxes_csv(folder)
    assert [i.path for i in images] == [folder / "sub/b.png", folder / "a.png"]
    np.testing.assert_array_equal(images[0].boxes, [[10, 20, 40, 60], [0, 0, 0, 0]])
    np.testing.assert_array_equal(images[0].ignore, [False, True])
    np.testing.assert_array_equal(images[1].boxes, [[1, 2, 4, 6]])
    # The csv file itself may be named instead of its folder.
    assert [i.path for i in read_boxes_csv(folder / "boxes.csv")] == [i.path for i in images]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("image,x,y,w,h\na.png,1,2,3,4\n", "expected the header"),
        ("", "expected the header"),
        (HEADER + "a.png,1,2,3\n", ":2: expected 6 columns"),
        (HEADER + "a.png,1,2,3,4,0\na.png,1,two,3,4,0\n", ":3: not a number"),
        (HEADER + "a.png,1,2,3,4,2\n", "ignore must be 0 or 1"),
        (HEADER + "a.png,1,2,nan,4,0\n", "must be finite"),
        (HEADER + "a.png,1,2,0,4,0\n", "empty box"),
        (HEADER + "missing.png,1,2,3,4,0\n", "'missing.png' not found"),
        (HEADER + "/etc/a.png,1,2,3,4,0\n", "relative path"),
        (HEADER + "../a.png,1,2,3,4,0\n", "relative path"),
    ],
)
def test_malformed_boxes_csv_is_bad_input(tmp_path: Path, body: str, message: str) -> None:
    folder = write_csv(tmp_path, body)
    with pytest.raises(BadInputError, match=message):
        read_boxes_csv(folder)


def test_missing_boxes_csv_and_binary_file_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        read_boxes_csv(tmp_path)
    (tmp_path / "boxes.csv").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(BadInputError, match="not a UTF-8"):
        read_boxes_csv(tmp_path)


def test_ignored_empty_box_is_accepted(tmp_path: Path) -> None:
    folder = write_csv(tmp_path, HEADER + "a.png,5,5,0,0,1\n")
    (image,) = read_boxes_csv(folder)
    assert image.ignore.tolist() == [True]


# coverage and the real mask shape ----------------------------------------------------------------


def test_box_coverage_counts_masked_pixels_and_outside_as_uncovered() -> None:
    mask = np.zeros((100, 100), np.bool_)
    mask[:, :50] = True
    boxes = np.array(
        [
            [0, 0, 40, 40],  # fully masked
            [30, 0, 70, 10],  # half masked
            [60, 60, 90, 90],  # not masked
            [-20, 0, 20, 10],  # half outside the image: that half cannot be hidden
            [200, 200, 210, 210],  # wholly outside
            [5, 5, 5, 9],  # empty
        ],
        np.float32,
    )
    np.testing.assert_allclose(box_coverage(mask, boxes), [1.0, 0.5, 0.0, 0.5, 0.0, 0.0])


def test_ellipse_at_mask_scale_one_does_not_protect_its_own_box() -> None:
    # An ellipse inscribed in a box covers pi/4 (78.5%) of it: below the 80% bar, so a detection
    # that exactly matches a face protects it only once the mask is grown. (Small ellipses
    # rasterize a little generously, so take a large face.)
    face = np.array([[40, 40, 440, 440]], np.float32)
    found = dets((40, 40, 440, 440))
    tight = redaction_mask(480, 480, found, RedactionSettings(mask_scale=1.0))
    assert 0.75 < box_coverage(tight, face)[0] < 0.8
    grown = redaction_mask(480, 480, found, RedactionSettings(mask_scale=1.3))
    assert box_coverage(grown, face)[0] >= 0.98
    box = redaction_mask(480, 480, found, RedactionSettings(shape=MaskShape.BOX, mask_scale=1.0))
    assert box_coverage(box, face)[0] == 1.0
    assert not score_image(face, np.array([False]), found, tight).protected[0]
    assert score_image(face, np.array([False]), found, grown).protected[0]


def test_redaction_mask_is_empty_without_faces() -> None:
    assert not redaction_mask(30, 40, Detections.empty(), RedactionSettings()).any()


# matching, precision, buckets --------------------------------------------------------------------


def test_score_image_matches_greedily_one_detection_per_face() -> None:
    labels = np.array([[0, 0, 20, 20], [100, 100, 140, 140], [50, 0, 60, 10]], np.float32)
    ignore = np.array([False, False, True])
    found = Detections(
        np.array(
            [
                [1, 1, 21, 21],  # matches face 0 (IoU ~0.82)
                [0, 0, 20, 20],  # higher score: takes face 0 first; the other is a duplicate
                [100, 100, 120, 120],  # IoU 0.25 with face 1: not a match
                [50, 0, 60, 10],  # matches an ignored box: not counted at all
                [300, 300, 330, 330],  # nothing there: false positive
            ],
            np.float32,
        ),
        np.array([0.8, 0.9, 0.7, 0.6, 0.5], np.float32),
    )
    mask = np.zeros((400, 400), np.bool_)
    mask[100:140, 100:140] = True
    score = score_image(labels, ignore, found, mask)
    assert score.face_sizes.tolist() == [20, 40]
    assert score.matched.tolist() == [True, False]
    assert score.protected.tolist() == [False, True]  # protection is about the mask, not IoU
    # Detections in score order, the ignored match left out: 0.9 TP, 0.8 dup, 0.7 miss, 0.5 FP.
    assert score.true_positive.tolist() == [True, False, False, False]
    assert score.detection_sizes.tolist() == [20, 20, 20, 30]


def test_buckets_use_the_short_side_and_half_open_ranges() -> None:
    assert [b.name for b in SIZE_BUCKETS] == ["<16", "16-32", "32-64", ">=64"]
    # w x h: short sides 10 (wide face), 15.9, 16, 31.9, 32, 63.9, 64, 300.
    sizes = [
        (200, 10),
        (15.9, 40),
        (16, 16),
        (40, 31.9),
        (32, 32),
        (63.9, 80),
        (64, 64),
        (300, 400),
    ]
    labels = np.array([[0, 0, w, h] for w, h in sizes], np.float32)
    protected = np.array([True, False, True, True, False, True, True, True])
    tally = Tally()
    # A mask that exactly covers the chosen faces is awkward with overlapping boxes; score the
    # faces one at a time instead, each with a full or an empty mask.
    for box, hide in zip(labels, protected, strict=True):
        mask = np.full((500, 500), bool(hide))
        tally.add(score_image(box[None], np.array([False]), Detections.empty(), mask))
    by_name = {b.bucket: b for b in tally.buckets()}
    assert {n: (b.faces, b.protected) for n, b in by_name.items()} == {
        "<16": (2, 1),
        "16-32": (2, 2),
        "32-64": (2, 1),
        ">=64": (2, 2),
        ">=32": (4, 3),
        "all": (8, 6),
    }
    assert by_name["32-64"].protected_recall == 0.5
    assert by_name["all"].precision is None  # no detections at all
    assert by_name["all"].to_dict()["protected_recall"] == 0.75


class FixedDetector:
    """Returns the same boxes for every image (scores decide what the threshold keeps)."""

    name = "fixed"

    def __init__(self, found: Detections) -> None:
        self.found = found
        self.calls = 0

    def detect(self, frame: np.ndarray) -> Detections:
        self.calls += 1
        return self.found


def test_evaluate_scores_protected_recall_iou_recall_and_precision(tmp_path: Path) -> None:
    for name in ("a.png", "b.png"):
        write_image(tmp_path / name, np.zeros((200, 200, 3), np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    images = [
        LabelledImage(
            tmp_path / "a.png", np.array([[20, 20, 60, 60]], np.float32), np.array([0], bool)
        ),
        LabelledImage(
            tmp_path / "b.png", np.array([[120, 120, 130, 130]], np.float32), np.array([0], bool)
        ),
        LabelledImage(
            tmp_path / "broken.png", np.array([[0, 0, 80, 80]], np.float32), np.array([0], bool)
        ),
    ]
    detector = FixedDetector(
        Detections(
            np.array([[20, 20, 60, 60], [150, 10, 190, 50], [120, 120, 130, 130]], np.float32),
            np.array([0.9, 0.6, 0.1], np.float32),  # the last is below the threshold
        )
    )
    report = evaluate(images, detector, 0.5, RedactionSettings(mask_scale=1.3), dataset="synthetic")
    assert detector.calls == 2 and report.images == 3
    assert report.failed_images == [str(tmp_path / "broken.png")]  # its face counts unprotected
    every = report.bucket("all")
    assert (every.faces, every.protected, every.matched) == (3, 1, 1)
    # two images x two kept detections, one true positive each time on a.png only
    assert (every.detections, every.true_positives) == (4, 1)
    assert report.bucket("<16").protected_recall == 0.0
    assert report.bucket("32-64").protected_recall == 1.0
    assert report.bucket(">=64").protected_recall == 0.0
    data = report.to_dict()
    assert data["dataset"] == "synthetic" and len(data["buckets"]) == 6
    with pytest.raises(KeyError):
        report.bucket("huge")


# shared data ------------------------------------------------------------------------------------


def test_shared_boxes_csv_files_parse_as_documented() -> None:
    wider = read_boxes_csv(shared_data("faces", "wider-dev"))
    assert len(wider) == 284
    assert sum(len(i.boxes) for i in wider) == 3509
    dlib = read_boxes_csv(shared_data("faces", "dlib-voc"))
    assert sum(len(i.boxes) for i in dlib) == 43
    assert all(((i.boxes[:, 2:] > i.boxes[:, :2]) | i.ignore[:, None]).all() for i in wider)


def test_centerface_protects_the_dlib_voc_faces() -> None:
    from veil.media_options import DEFAULTS
    from veil.vision.detectors import DetectorSettings, get_detector

    images = read_boxes_csv(shared_data("faces", "dlib-voc"))
    settings = DetectorSettings(threshold=DEFAULTS["thresh"], max_side=DEFAULTS["max_side"])
    report = evaluate(
        images,
        get_detector("centerface", settings),
        DEFAULTS["thresh"],
        RedactionSettings(mask_scale=DEFAULTS["mask_scale"]),
    )
    assert report.bucket("all").faces == 43
    assert report.bucket(">=32").protected_recall is not None
    assert report.bucket(">=32").protected_recall >= 0.95


def test_masked_fraction_is_the_mean_share_of_each_picture_under_the_mask() -> None:
    tally = Tally()
    none = np.zeros((4, 0), np.float32).reshape(0, 4)
    for covered in (0, 8):  # 0% and 50% of a 4x4 picture
        mask = np.zeros((4, 4), np.bool_)
        mask.flat[:covered] = True
        tally.add(score_image(none, np.zeros(0, np.bool_), Detections.empty(), mask))
    assert tally.masked_fraction == pytest.approx(0.25)
    assert Tally().masked_fraction == 0.0
