"""The run manifest: a rerun after a crash redoes only what is unfinished and logs it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.ledger import Ledger
from veil.pipeline import AnonymizeOptions, FileResult, Job, MediaKind, Status
from veil.scale.manifest import Manifest, options_digest
from veil.scale.ray_runner import _log, _plan
from veil.trace import RunTrace, TraceSettings, file_digest


@pytest.fixture
def job(tmp_path: Path) -> Job:
    (tmp_path / "in.png").write_bytes(b"input bytes")
    return Job(tmp_path / "in.png", tmp_path / "out" / "in.png", MediaKind.IMAGE)


def finish_output(job: Job, data: bytes = b"redacted bytes") -> FileResult:
    job.target.parent.mkdir(exist_ok=True)
    job.target.write_bytes(data)
    return FileResult(str(job.source), str(job.target), job.kind, Status.OK, frames=1)


def test_finished_input_is_skipped_while_its_output_is_unchanged(tmp_path: Path, job: Job) -> None:
    options = AnonymizeOptions()
    manifest = Manifest(options, tmp_path / "runs")
    digest = file_digest(job.source)
    manifest.start(digest, job.target)
    finish_output(job)
    manifest.finish(digest, job.target)
    slots, tasks = _plan([job], options, Manifest(options, tmp_path / "runs"))
    assert tasks == [] and slots[0] is not None and slots[0].status is Status.SKIPPED
    job.target.write_bytes(b"someone changed it")  # no longer the output we made: redo
    slots, tasks = _plan([job], options, Manifest(options, tmp_path / "runs"))
    assert [t.job for t in tasks] == [job] and slots == [None]


def test_other_options_use_another_manifest(tmp_path: Path) -> None:
    assert options_digest(AnonymizeOptions()) != options_digest(AnonymizeOptions(crf=30))
    assert (
        Manifest(AnonymizeOptions(), tmp_path).path
        != Manifest(AnonymizeOptions(crf=30), tmp_path).path
    )


def test_crash_after_logging_before_finishing_redoes_the_file_and_logs_it_once(
    tmp_path: Path, job: Job
) -> None:
    options = AnonymizeOptions()
    url = f"sqlite:///{tmp_path / 'veil.db'}"
    with Ledger.open(url, key_dir=tmp_path / "keys") as ledger:
        trace = RunTrace(TraceSettings(system="veil-blur", controller="Archive"), ledger)
        manifest = Manifest(options, tmp_path / "runs")
        _, (task,) = _plan([job], options, manifest)
        trace.record(finish_output(job), task.event_id)  # logged; then the driver died
        rerun = Manifest(options, tmp_path / "runs")
        slots, tasks = _plan([job], options, rerun)  # the output exists but is not finished
        assert slots == [None] and [t.event_id for t in tasks] == [task.event_id]
        _log(finish_output(job), tasks[0], trace, rerun)
        assert ledger.head().size == 1  # the retry's event was refused as a duplicate
        slots, tasks = _plan([job], options, Manifest(options, tmp_path / "runs"))
        assert tasks == [] and slots[0] is not None and slots[0].status is Status.SKIPPED


def test_an_existing_output_of_someone_else_is_kept(tmp_path: Path, job: Job) -> None:
    finish_output(job, b"not ours")
    slots, tasks = _plan([job], AnonymizeOptions(), Manifest(AnonymizeOptions(), tmp_path / "r"))
    assert tasks == [] and slots[0] is not None and "output exists" in str(slots[0].error)
    assert job.target.read_bytes() == b"not ours"


def test_a_torn_last_line_is_ignored(tmp_path: Path, job: Job) -> None:
    manifest = Manifest(AnonymizeOptions(), tmp_path)
    manifest.start(file_digest(job.source), job.target)
    with manifest.path.open("a") as handle:
        handle.write('{"step": "finished", "inp')
    again = Manifest(AnonymizeOptions(), tmp_path)
    assert again.started(file_digest(job.source), job.target)
    assert not again.finished(file_digest(job.source), job.target)
