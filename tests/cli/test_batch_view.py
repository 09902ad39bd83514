"""What ``veil blur``/``veil gate`` print while a batch runs and after it (cli/batch_view.py)."""

from __future__ import annotations

import json

import pytest

from veil.batch_run import SUMMARY_ROWS, BatchOutcome
from veil.cli.batch_view import BatchView
from veil.pipeline import BatchSummary, FileResult, MediaKind, Status


def result(name: str, status: Status, error: str | None = None) -> FileResult:
    return FileResult(name, None if error else name + ".out", MediaKind.IMAGE, status, error)


def test_failed_and_skipped_inputs_get_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    with BatchView(quiet=True) as view:
        view.planned([], [result("gone.jpg", Status.FAILED, "gone.jpg: no such file")])
        view.done(result("a.jpg", Status.OK))
        view.done(result("b.jpg", Status.FAILED, "b.jpg: not an image"))
        view.done(result("c.jpg", Status.SKIPPED, "output exists"))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "veil: error: gone.jpg: no such file",
        "veil: error: b.jpg: not an image",
        "veil: skipped c.jpg: output exists",
    ]


def test_json_outcome_lists_ledger_indexes_only_when_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = BatchSummary(files=[result("a.jpg", Status.OK)])
    view = BatchView(quiet=True)
    view.print_outcome(BatchOutcome(summary, [4], logged=True), json_output=True, quiet=False)
    assert json.loads(capsys.readouterr().out)["ledger_indexes"] == [4]
    view.print_outcome(BatchOutcome(summary), json_output=True, quiet=False)
    assert "ledger_indexes" not in json.loads(capsys.readouterr().out)


def test_large_batches_list_only_their_problems(capsys: pytest.CaptureFixture[str]) -> None:
    files = [result(f"ok{i}.jpg", Status.OK) for i in range(SUMMARY_ROWS)]
    files.append(result("bad.jpg", Status.FAILED, "bad.jpg: broken"))
    view = BatchView(quiet=True)
    view.print_outcome(BatchOutcome(BatchSummary(files=files)), json_output=False, quiet=False)
    err = capsys.readouterr().err
    assert "bad.jpg" in err and "ok3.jpg" not in err
    assert f"{SUMMARY_ROWS} of {SUMMARY_ROWS + 1} inputs anonymized" in err
