"""How a running batch looks on the terminal: a progress bar, one line per problem, a summary.

:class:`BatchView` is the :class:`~veil.batch_run.BatchWatcher` of ``veil blur`` and ``veil
gate`` (:func:`show_batch` runs a batch under it); it only presents what the library reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from veil.batch_run import SUMMARY_COLUMNS, BatchOutcome, BatchWatcher, job_frames
from veil.cli.media_flags import View, say
from veil.pipeline import FileResult, Job, Status
from veil.textsafe import safe_markup, safe_text


def progress_bar(
    console: Console, unit: str, *clock: ProgressColumn, disable: bool = False
) -> Progress:
    """A bar counting ``unit`` (its task's description in bold first, the ``clock`` columns last)."""
    label, count = TextColumn("[bold]{task.description}"), MofNCompleteColumn()
    return Progress(
        label, BarColumn(), count, TextColumn(unit), *clock, console=console, disable=disable
    )


class BatchView:
    """Progress on a terminal (unless ``quiet``) and every failure or skip on stderr."""

    def __init__(self, *, quiet: bool) -> None:
        self.console = Console(stderr=True)
        self._bar: Progress | None = None
        if self.console.is_terminal and not quiet:
            self._bar = progress_bar(
                self.console,
                "frames",
                TextColumn("{task.fields[fps]} frames/s"),
                TimeRemainingColumn(),
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
        say(*(f"veil: error: {problem.error}" for problem in problems))
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
        shown = View(json_output=json_output, quiet=quiet)
        shown.present(outcome.to_dict(), lambda: print_summary(self.console, outcome))


def show_batch(view: View, run: Callable[[BatchWatcher], BatchOutcome]) -> int:
    """``run`` the batch under a :class:`BatchView`, print its outcome; return the exit status."""
    with BatchView(quiet=view.silent) as shown:
        outcome = run(shown)
    shown.print_outcome(outcome, json_output=view.json_output, quiet=view.quiet)
    return outcome.exit_code


def _short(path: Path, width: int = 40) -> str:
    text = safe_text(path)
    return safe_markup(text if len(text) <= width else "…" + text[-(width - 1) :])


def print_summary(console: Console, outcome: BatchOutcome) -> None:
    """The per-input table (:meth:`~veil.batch_run.BatchOutcome.rows`) and the totals."""
    table = Table(title="Veil: anonymized", show_lines=False)
    for column in SUMMARY_COLUMNS:
        table.add_column(column, overflow="fold")
    rows = outcome.rows()
    for row in rows:
        table.add_row(*map(safe_markup, row))
    if rows:
        console.print(table)
    console.print(outcome.totals_line(), highlight=False)
    if outcome.logged:
        console.print(f"{len(outcome.ledger_indexes)} events logged in the trace ledger.")
