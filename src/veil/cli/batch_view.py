"""How a running batch looks on the terminal: a progress bar, one line per problem, a summary.

:class:`BatchView` is the :class:`~veil.batch_run.BatchWatcher` of ``veil blur`` and ``veil
gate``; it only presents what the library reports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from veil.batch_run import BatchOutcome, job_frames
from veil.pipeline import BatchSummary, FileResult, Job, Status
from veil.textsafe import safe_markup, safe_text

SUMMARY_ROWS = 20  # larger batches list only their problems; --json lists everything


class BatchView:
    """Progress on a terminal (unless ``quiet``) and every failure or skip on stderr."""

    def __init__(self, *, quiet: bool) -> None:
        self.console = Console(stderr=True)
        self._bar: Progress | None = None
        if self.console.is_terminal and not quiet:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("frames"),
                TextColumn("{task.fields[fps]} frames/s"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
        self._task: TaskID | None = None

    def __enter__(self) -> BatchView:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def planned(self, jobs: list[Job], problems: list[FileResult]) -> None:
        """Print the inputs refused at planning; size the bar by the frames to do."""
        for problem in problems:
            say(f"veil: error: {problem.error}")
        if self._bar is not None:
            total = sum(job_frames(job) for job in jobs)
            self._task = self._bar.add_task("anonymizing", total=total, fps="-")

    def started(self, job: Job) -> None:
        """Show which input is being worked on."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=_short(job.source))

    def advanced(self, frames: int) -> None:
        """Move the bar on."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, frames)
            speed = self._bar.tasks[self._task].speed  # across every worker of the run
            self._bar.update(self._task, fps=f"{speed:.1f}" if speed else "-")

    def done(self, result: FileResult) -> None:
        """One line on stderr for an input that failed or was skipped."""
        if result.error and result.status is Status.FAILED:
            say(f"veil: error: {result.error}")
        elif result.status is Status.SKIPPED:
            say(f"veil: skipped {result.input}: {result.error}")

    def print_outcome(self, outcome: BatchOutcome, *, json_output: bool, quiet: bool) -> None:
        """The summary: JSON on stdout, else a table on stderr (nothing when ``quiet``)."""
        if json_output:
            document = outcome.summary.to_dict()
            if outcome.logged:
                document["ledger_indexes"] = outcome.ledger_indexes
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        elif not quiet:
            print_summary(self.console, outcome.summary)
            if outcome.logged:
                self.console.print(
                    f"{len(outcome.ledger_indexes)} events logged in the trace ledger."
                )


def say(line: str) -> None:
    """One whole line on stderr (never wrapped, so scripts can grep it)."""
    sys.stderr.write(safe_text(line) + "\n")
    sys.stderr.flush()


def _short(path: Path, width: int = 40) -> str:
    text = safe_text(path)
    return safe_markup(text if len(text) <= width else "…" + text[-(width - 1) :])


def print_summary(console: Console, summary: BatchSummary) -> None:
    """The per-input table (only problems past :data:`SUMMARY_ROWS` inputs) and the totals."""
    shown = (
        summary.files
        if len(summary.files) <= SUMMARY_ROWS
        else [f for f in summary.files if f.error]
    )
    table = Table(title="Veil: anonymized", show_lines=False)
    for column in ("input", "output", "status", "frames", "faces hidden", "blanked"):
        table.add_column(column, overflow="fold")
    for f in shown:
        table.add_row(
            safe_markup(f.input),
            safe_markup(f.output or "-"),
            f.status.value if f.error is None else safe_markup(f"{f.status.value}: {f.error}"),
            str(f.frames),
            str(f.faces_redacted),
            str(f.frames_blanked),
        )
    if shown:
        console.print(table)
    totals = summary.totals()
    console.print(
        f"{totals['ok']} of {totals['files']} inputs anonymized, {totals['faces_redacted']} faces hidden, "
        f"{totals['frames_blanked']} frames blanked (detection failed), {totals['failed']} failed.",
        highlight=False,
    )
