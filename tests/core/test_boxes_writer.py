"""``--boxes-out``: lines appear under the target's name only when the batch completes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from veil.boxes import BoxesWriter
from veil.errors import OutputError
from veil.pipeline import FrameReport
from veil.vision.detections import Detections
from veil.vision.policy import FaceDecisions


def report(source: Path, index: int, faces: int) -> FrameReport:
    boxes = np.tile(np.array([[10, 10, 40, 40]], np.float32), (faces, 1))
    found = Detections(boxes, np.full(faces, 0.9, np.float32))
    return FrameReport(source, index, None, found, FaceDecisions.redact_all(faces), False)


def test_lines_are_published_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "out" / "boxes.jsonl"
    writer = BoxesWriter(target)
    writer(report(tmp_path / "a.png", 0, 1))
    writer(report(tmp_path / "a.png", 1, 0))  # no faces: left out
    assert not target.exists()
    (partial,) = target.parent.iterdir()
    assert partial.name.startswith(".boxes.") and partial.name.endswith(".partial.jsonl")
    writer.close()
    (line,) = target.read_text().splitlines()
    record = json.loads(line)
    assert (record["frame"], record["faces"][0]["redacted"]) == (0, True)
    assert list(target.parent.iterdir()) == [target]
    assert stat.S_IMODE(target.stat().st_mode) & 0o002 == 0


def test_a_failed_batch_keeps_the_old_file_and_leaves_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "boxes.jsonl"
    target.write_text("old\n")
    writer = BoxesWriter(target)
    writer(report(tmp_path / "a.png", 0, 2))
    writer.close(keep=False)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_an_unwritable_folder_is_a_one_line_output_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write output"):
        BoxesWriter(tmp_path / "file" / "boxes.jsonl")
