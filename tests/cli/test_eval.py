"""`veil eval faces`: the JSON report, the table, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from veil.media.images import write_image

# The astronaut's face in scikit-image's 512x512 sample, by hand (x, y, w, h).
ASTRONAUT_FACE = (180, 60, 90, 120)


def veil(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def labelled(tmp_path: Path, astronaut_bgr: np.ndarray) -> Path:
    """A labelled folder: the astronaut (face labelled), and a blank image with a face that isn't."""
    folder = tmp_path / "set"
    (folder / "img").mkdir(parents=True)
    write_image(folder / "img" / "astronaut.png", astronaut_bgr)
    write_image(folder / "img" / "blank.png", np.full((200, 300, 3), 128, np.uint8))
    x, y, w, h = ASTRONAUT_FACE
    (folder / "boxes.csv").write_text(
        "image,x,y,w,h,ignore\n"
        f"img/astronaut.png,{x},{y},{w},{h},0\n"
        "img/blank.png,20,20,24,24,0\n"  # nothing to detect there: a miss in the 16-32 bucket
        "img/blank.png,100,100,0,0,1\n"
    )
    return folder


def test_eval_faces_json_reports_every_bucket(labelled: Path) -> None:
    result = veil("eval", "faces", labelled, "--json", "--mask-scale", "1.3")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["images"] == 2 and report["failed_images"] == []
    assert report["settings"]["mask_scale"] == 1.3 and report["settings"]["coverage"] == 0.8
    assert report["settings"]["precision"] in {"fp32", "bf16"}  # what --precision auto chose
    buckets = {b["bucket"]: b for b in report["buckets"]}
    assert list(buckets) == ["<16", "16-32", "32-64", ">=64", ">=32", "all"]
    assert buckets[">=64"]["faces"] == 1 and buckets[">=64"]["protected_recall"] == 1.0
    assert buckets[">=64"]["recall_iou50"] == 1.0
    assert buckets["16-32"]["faces"] == 1 and buckets["16-32"]["protected_recall"] == 0.0
    assert buckets["<16"]["protected_recall"] is None  # no faces: no rate, not zero
    assert buckets["all"]["protected_recall"] == 0.5
    assert buckets["all"]["precision"] == 1.0  # one detection, on the astronaut


def test_eval_faces_coverage_and_shape_change_the_outcome(labelled: Path) -> None:
    # With a mask no larger than the detection and a 100% coverage bar, an ellipse cannot
    # protect the whole labelled box; the same detection as a grown box can.
    strict = veil("eval", "faces", labelled, "--json", "--mask-scale", "1.0", "--coverage", "1.0")
    boxed = veil(
        "eval", "faces", labelled, "--json", "--mask-scale", "1.6", "--shape", "box",
        "--coverage", "1.0",
    )  # fmt: skip
    assert strict.returncode == boxed.returncode == 0
    by_bucket = [{b["bucket"]: b for b in json.loads(r.stdout)["buckets"]} for r in (strict, boxed)]
    assert by_bucket[0][">=64"]["protected_recall"] == 0.0
    assert by_bucket[1][">=64"]["protected_recall"] == 1.0


def test_eval_faces_table_and_limit(labelled: Path) -> None:
    result = veil("eval", "faces", labelled, "--limit", "1")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # rich wraps long titles on a narrow pipe
    assert "1 images" in text
    assert "protected" in text and ">=64 px" in text


def test_eval_faces_bad_csv_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "boxes.csv").write_text("image,x,y,w,h,ignore\nnope.jpg,1,2,3,4,0\n")
    result = veil("eval", "faces", tmp_path, "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"veil: error: {tmp_path / 'boxes.csv'}: image 'nope.jpg' not found in {tmp_path}"
    ]


def test_eval_faces_bad_threshold_is_a_usage_error(labelled: Path) -> None:
    result = veil("eval", "faces", labelled, "--thresh", "1.5")
    assert result.returncode == 2
    assert "threshold" in result.stderr


def test_eval_faces_on_shared_dlib_voc() -> None:
    folder = shared_data("faces", "dlib-voc")
    result = veil("eval", "faces", folder, "--json")
    assert result.returncode == 0, result.stderr
    buckets = {b["bucket"]: b for b in json.loads(result.stdout)["buckets"]}
    assert buckets["all"]["faces"] == 43
    assert buckets[">=32"]["protected_recall"] >= 0.95
