"""The batch as a library call (``veil.batch_run``): typed results, callbacks, the ledger switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veil.batch_run import (
    BatchOptions,
    BatchOutcome,
    BatchRequest,
    anonymize_batch,
    job_frames,
    trace_settings,
)
from veil.media.images import write_image
from veil.media.video import X264Preset
from veil.media_options import MediaOptions
from veil.pipeline import AnonymizeOptions, BatchSummary, FileResult, Job, MediaKind, Status
from veil.vision.quality import Quality
from veil.vision.redact import RedactionMode


class Recorder:
    """A watcher that remembers what it was told, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def planned(self, jobs: list[Job], problems: list[FileResult]) -> None:
        self.calls.append(("planned", (len(jobs), [p.input for p in problems])))

    def started(self, job: Job) -> None:
        self.calls.append(("started", job.source.name))

    def advanced(self, frames: int) -> None:
        self.calls.append(("advanced", frames))

    def done(self, result: FileResult) -> None:
        self.calls.append(("done", (Path(result.input).name, result.status)))


def test_batch_reports_typed_results_in_order(tmp_path: Path, astronaut_bgr: np.ndarray) -> None:
    write_image(tmp_path / "a.jpg", astronaut_bgr)
    (tmp_path / "bad.jpg").write_text("not a jpeg")
    missing = tmp_path / "missing.jpg"
    request = BatchRequest(
        inputs=(tmp_path / "a.jpg", tmp_path / "bad.jpg", missing),
        output=tmp_path / "out",
        options=AnonymizeOptions(),
    )
    watcher = Recorder()
    outcome = anonymize_batch(request, watcher)
    statuses = {Path(f.input).name: f.status for f in outcome.summary.files}
    assert statuses == {"missing.jpg": Status.FAILED, "a.jpg": Status.OK, "bad.jpg": Status.FAILED}
    assert outcome.summary.files[0].input == str(missing)  # planning problems come first
    assert watcher.calls[0] == ("planned", (2, [str(missing)]))
    assert ("done", ("a.jpg", Status.OK)) in watcher.calls
    assert ("advanced", 1) in watcher.calls
    assert [f.input for f in outcome.summary.failed] == [str(missing), str(tmp_path / "bad.jpg")]
    assert not outcome.logged and outcome.ledger_indexes == []
    assert (tmp_path / "out" / "a.jpg").exists()


def test_no_ledger_unless_asked_or_initialised() -> None:
    assert trace_settings(None, "veil-blur", None, None) is None  # no `veil ledger init` here
    assert trace_settings(False, "veil-blur", None, None) is None
    explicit = trace_settings(True, "veil-gate", "Acme", None, purpose="p")
    assert explicit is not None and explicit.system == "veil-gate"


def test_image_jobs_count_one_frame(tmp_path: Path) -> None:
    job = Job(tmp_path / "x.jpg", tmp_path / "y.jpg", MediaKind.IMAGE)
    assert job_frames(job) == 1
    broken = Job(tmp_path / "x.mp4", tmp_path / "y.mp4", MediaKind.VIDEO)
    assert job_frames(broken) == 1  # unreadable video: the bar still moves


def test_media_options_map_to_anonymize_options() -> None:
    flags = MediaOptions(
        thresh=0.4,
        mode=RedactionMode.PIXELATE,
        track=False,
        max_side=640,
        quality=Quality("thorough"),
        preset=X264Preset("veryfast"),
        overwrite=True,
    )
    options = flags.options()
    assert options.detection.threshold == 0.4 and options.detection.max_side == 640
    assert options.redaction.mode is RedactionMode.PIXELATE
    assert options.tracking is None
    assert options.quality == "thorough" and options.preset == "veryfast" and options.overwrite
    assert MediaOptions().options().preset == AnonymizeOptions().preset  # None: library default


def test_batch_options_build_the_request(tmp_path: Path) -> None:
    flags = BatchOptions(
        inputs=(tmp_path / "a.jpg",),
        output=None,
        media=MediaOptions(),
        boxes_out=tmp_path / "b.jsonl",
        ledger=True,
        controller="Acme",
        ray="auto",
        ray_workers=3,
    )
    request = flags.request("veil-blur")
    assert request.inputs == (tmp_path / "a.jpg",) and request.boxes_out == tmp_path / "b.jsonl"
    assert request.trace is not None and request.trace.controller == "Acme"
    assert request.ray is not None and request.ray.workers == 3


def test_ray_with_boxes_is_refused_before_work(tmp_path: Path, astronaut_bgr: np.ndarray) -> None:
    from veil.errors import ConfigError
    from veil.scale.ray_runner import RaySettings

    write_image(tmp_path / "a.jpg", astronaut_bgr)
    request = BatchRequest(
        inputs=(tmp_path / "a.jpg",),
        output=tmp_path / "out",
        options=AnonymizeOptions(),
        boxes_out=tmp_path / "boxes.jsonl",
        ray=RaySettings(address="auto", workers=1),
    )
    with pytest.raises(ConfigError, match="--ray does not support --boxes-out"):
        anonymize_batch(request, Recorder())
    assert not (tmp_path / "out").exists()


def test_outcome_gives_the_exit_status_json_and_totals() -> None:
    ok = FileResult("a.jpg", "a_anonymized.jpg", MediaKind.IMAGE, Status.OK, faces_redacted=2)
    bad = FileResult("b.jpg", None, MediaKind.IMAGE, Status.FAILED, "b.jpg: not an image")
    clean = BatchOutcome(BatchSummary([ok]), [7], logged=True)
    assert clean.exit_code == 0 and clean.to_dict()["ledger_indexes"] == [7]
    assert clean.to_dict()["totals"]["faces_redacted"] == 2
    failed = BatchOutcome(BatchSummary([ok, bad]))
    assert failed.exit_code == 1 and "ledger_indexes" not in failed.to_dict()
    assert failed.totals_line() == (
        "1 of 2 inputs anonymized, 2 faces hidden, 0 frames blanked (detection failed), 1 failed."
    )


def test_summary_rows_list_every_input_or_past_the_limit_only_problems() -> None:
    ok = FileResult("a.jpg", "a_anonymized.jpg", MediaKind.IMAGE, frames=1, faces_redacted=2)
    bad = FileResult("b.jpg", None, MediaKind.IMAGE, Status.FAILED, "b.jpg: not an image")
    outcome = BatchOutcome(BatchSummary([ok, bad]))
    assert outcome.rows() == [
        ("a.jpg", "a_anonymized.jpg", "ok", "1", "2", "0"),
        ("b.jpg", "-", "failed: b.jpg: not an image", "0", "0", "0"),
    ]
    assert outcome.rows(limit=1) == outcome.rows()[1:]


def test_a_library_caller_gets_what_veil_blur_prints(
    tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    import json
    import subprocess
    import sys

    from veil.batch_run import anonymize_files
    from veil.media.images import read_image

    write_image(tmp_path / "a.png", astronaut_bgr)
    (tmp_path / "b.png").write_text("not a png")
    inputs = (tmp_path / "a.png", tmp_path / "b.png")
    media = MediaOptions(mode=RedactionMode.PIXELATE, mask_scale=1.5)
    outcome = anonymize_files(BatchOptions(inputs, tmp_path / "lib", media), Recorder())
    cli = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "blur", *map(str, inputs), "-o",
         str(tmp_path / "cli"), "--mode", "pixelate", "--mask-scale", "1.5", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.returncode == outcome.exit_code == 1  # b.png is bad input
    ours, theirs = outcome.to_dict(), json.loads(cli.stdout)
    for document in (ours, theirs):
        for timed in ("seconds", "wall_seconds", "fps"):  # how long each took differs
            document["totals"].pop(timed)
        for entry in document["files"]:
            entry.pop("seconds")
            entry["output"] = entry["output"] and Path(entry["output"]).name
    assert ours == theirs and ours["totals"]["faces_redacted"] == 1
    lib, cmd = (read_image(tmp_path / d / "a.png").pixels for d in ("lib", "cli"))
    assert np.array_equal(lib, cmd) and not np.array_equal(lib, astronaut_bgr)
