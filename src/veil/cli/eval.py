"""``veil eval``: measure Veil against labelled data (``veil eval faces DIR``).

``eval_app`` is a Typer group; other modules may add commands to it (importing this module has no
side effects beyond defining the group and its ``faces`` command).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

from veil.cli.media_flags import View
from veil.cli.output import help_text
from veil.cli.parsing import parses
from veil.faces_eval import FacesEvalOptions
from veil.textsafe import safe_markup, safe_text

if TYPE_CHECKING:
    from veil.vision.evaluation import EvaluationReport

eval_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EVAL_FLAGS = {
    "directory": typer.Argument(
        help="Folder holding boxes.csv and the images it names (or the csv file itself).",
        show_default=False,
    ),
    "coverage": typer.Option("--coverage", min=0.01, max=1.0, help=help_text("eval-coverage")),
    "limit": typer.Option("--limit", min=1, help="Score only the first N images (quick checks)."),
    "all_presets": typer.Option(
        "--all-presets", help="Score every quality preset, one after the other."
    ),
}
NOT_SCORED = "mode detect_every full_every track hold_frames codec crf preset keep_audio keep_metadata overwrite"


@parses(flags=EVAL_FLAGS, skip=[f"media.{name}" for name in NOT_SCORED.split()])
def faces(options: FacesEvalOptions, view: View) -> None:
    """Score detection and redaction on DIR/boxes.csv."""
    from rich.console import Console
    from rich.progress import TimeElapsedColumn

    from veil.cli.batch_view import progress_bar
    from veil.faces_eval import evaluate_faces, reports_document

    console = Console(stderr=True)
    hidden = not console.is_terminal or view.silent
    with progress_bar(console, "images", TimeElapsedColumn(), disable=hidden) as bar:
        task = bar.add_task("scoring", total=None)
        reports = evaluate_faces(
            options.request(),
            planned=lambda total: bar.update(task, total=total),
            progress=lambda: bar.advance(task),
        )
    if view.json_output:
        document = reports_document(reports, all_presets=options.all_presets)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    for report in reports:
        _print_report(report)


def _print_report(report: EvaluationReport) -> None:
    from rich.console import Console
    from rich.table import Table

    from veil.faces_eval import REPORT_COLUMNS, report_caption, report_rows

    title = f"{safe_markup(report.dataset)}: {report.images} images"
    table = Table(title=title, caption=report_caption(report))
    for column in REPORT_COLUMNS:
        table.add_column(column, justify="left" if column == "face size" else "right")
    for row in report_rows(report):
        table.add_row(*row)
    console = Console()
    console.print(table)
    for path in report.failed_images:
        console.print(f"unreadable (counted unprotected): {safe_text(path)}", markup=False)


# `veil eval identities` (face matching) lives with the consent commands.
from veil.cli.consent import IDENTITIES_HELP, eval_identities  # noqa: E402

eval_app.command("faces", help=help_text("eval_faces"))(faces)
eval_app.command("identities", help=IDENTITIES_HELP)(eval_identities)


def register(app: typer.Typer) -> None:
    """Add the ``veil eval`` group."""
    app.add_typer(
        eval_app,
        name="eval",
        help="Measure Veil on labelled data: face protection and detection per face size.",
    )
