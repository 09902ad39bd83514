"""``veil eval``: measure Veil against labelled data (``veil eval faces DIR``).

``eval_app`` is a Typer group; other modules may add commands to it (importing this module has no
side effects beyond defining the group and its ``faces`` command).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from veil.cli import media_flags as flags
from veil.cli.quality import QualityOption
from veil.textsafe import safe_markup, safe_text
from veil.vision.redact import MaskShape

if TYPE_CHECKING:
    from veil.vision.evaluation import EvaluationReport

D = flags.DEFAULTS

eval_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FACES_HELP = """Score face detection and redaction on a labelled folder (DIR/boxes.csv).

boxes.csv has the columns image,x,y,w,h,ignore (pixels, top-left origin, image relative to DIR;
ignore=1 marks boxes that count neither as misses nor as false positives). Each image is run
with the same detector settings as `veil blur`, the redaction mask is rendered by the redaction
code itself, and per face-size bucket (short side <16, 16-32, 32-64, >=64 px, then >=32 and all)
three figures are reported, with the seconds per image and the mean share of each picture
under the mask:

  protected   share of faces with >= 80% of their box under the mask (what privacy needs)

  iou50       share of faces matched by a detection with IoU >= 0.5

  precision   share of detections that match a labelled face (low when background faces are
              not labelled)

Examples:

  veil eval faces ../shared/data/faces/wider-dev

  veil eval faces wider-dev --thresh 0.2 --mask-scale 1.6 --json > scores.json

  veil eval faces wider-dev --max-side 640 --tiles --limit 50

  veil eval faces wider-dev --all-presets --json > presets.json   # fast, balanced, thorough

--quality picks the detection preset (default: the photo default of `veil blur`); --all-presets
scores every preset on the same images (JSON: {"presets": [one report per preset]}).
"""

DirectoryArg = Annotated[
    Path,
    typer.Argument(
        help="Folder holding boxes.csv and the images it names (or the csv file itself).",
        show_default=False,
    ),
]
Coverage = Annotated[
    float,
    typer.Option(
        "--coverage",
        min=0.01,
        max=1.0,
        help="Share of a face's box that must be masked for it to count as protected.",
    ),
]
Limit = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="Score only the first N images (quick checks)."),
]
AllPresets = Annotated[
    bool,
    typer.Option("--all-presets", help="Score every quality preset, one after the other."),
]


@eval_app.command("faces", help=FACES_HELP)
def faces(
    directory: DirectoryArg,
    thresh: flags.Thresh = D["thresh"],
    mask_scale: flags.MaskScale = D["mask_scale"],
    shape: flags.Shape = MaskShape.ELLIPSE,
    detector: flags.DetectorName = D["detector"],
    max_side: flags.MaxSide = D["max_side"],
    tiles: flags.Tiles = D["tiles"],
    quality: QualityOption = None,
    all_presets: AllPresets = False,
    threads: flags.Threads = 0,
    precision: flags.PrecisionOption = D["precision"],
    coverage: Coverage = 0.8,
    limit: Limit = None,
    json_output: flags.JsonOutput = False,
    quiet: flags.Quiet = False,
) -> None:
    """Score detection and redaction on DIR/boxes.csv."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from veil.faces_eval import FacesEvalRequest, evaluate_faces
    from veil.vision.detectors import DetectorSettings
    from veil.vision.redact import RedactionSettings

    request = FacesEvalRequest(
        directory=directory,
        detection=DetectorSettings(
            threshold=thresh,
            max_side=max_side,
            tiles=tiles,
            threads=threads,
            precision=precision.value,
        ),
        redaction=RedactionSettings(shape=shape, mask_scale=mask_scale),
        detector=detector,
        quality=None if quality is None else quality.value,
        all_presets=all_presets,
        coverage=coverage,
        limit=limit,
    )
    console = Console(stderr=True)
    show = console.is_terminal and not quiet and not json_output
    with Progress(
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("images"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
    ) as bar:
        task = bar.add_task("scoring", total=None)
        reports = evaluate_faces(
            request,
            planned=lambda total: bar.update(task, total=total),
            progress=lambda: bar.advance(task),
        )
    if json_output:
        one = reports[0].to_dict()
        data = {"presets": [r.to_dict() for r in reports]} if all_presets else one
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for report in reports:
        _print_report(report)


def _print_report(report: EvaluationReport) -> None:
    from rich.console import Console
    from rich.table import Table

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    settings = report.settings
    table = Table(
        title=f"{safe_markup(report.dataset)}: {report.images} images",
        caption=(
            f"{settings['detector']}, thresh {settings['thresh']}, mask scale "
            f"{settings['mask_scale']} {settings['shape']}, max side {settings['max_side'] or 'full'}"
            f"{' tiled' if settings['tiles'] else ''}, quality {settings['quality']}; "
            f"{report.seconds:.1f} s, {report.seconds / max(1, report.images):.3f} s per image; "
            f"{pct(report.masked_fraction)} of each picture masked on average"
        ),
    )
    for column in ("face size", "faces", "protected", "iou50", "detections", "precision"):
        table.add_column(column, justify="left" if column == "face size" else "right")
    for b in report.buckets:
        table.add_row(
            f"{b.bucket} px" if b.bucket != "all" else "all",
            str(b.faces),
            pct(b.protected_recall),
            pct(b.recall_iou50),
            str(b.detections),
            pct(b.precision),
        )
    console = Console()
    console.print(table)
    for path in report.failed_images:
        console.print(f"unreadable (counted unprotected): {safe_text(path)}", markup=False)


# `veil eval identities` (face matching) lives with the consent commands.
from veil.cli.consent import IDENTITIES_HELP, eval_identities  # noqa: E402

eval_app.command("identities", help=IDENTITIES_HELP)(eval_identities)


def register(app: typer.Typer) -> None:
    """Add the ``veil eval`` group."""
    app.add_typer(
        eval_app,
        name="eval",
        help="Measure Veil on labelled data: face protection and detection per face size.",
    )
