"""``veil eval identities``: face-matching accuracy on labelled identities (TAR at FAR)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.consent_common import Json, console, emit
from veil.textsafe import safe_markup, safe_text

IDENTITIES_HELP = """Measure face matching on labelled identities (DIR/identities.csv, or folders of them).

identities.csv has the columns image,person (image relative to the csv's folder). Each photo's
largest face is embedded as enrollment does; every pair of photos is compared. Reported: TAR at
FAR 1e-2, 1e-3 and 1e-4 with the threshold for each, the chosen threshold (the largest whose 95%
upper bound on FAR is <= 1e-3) and how the configured default threshold does on this data.

Examples:

  veil eval identities ../shared/data/faces/identities

  veil eval identities my-staff-photos/ --json > matching.json
"""


def eval_identities(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder with identities.csv (searched recursively).", show_default=False
        ),
    ],
    detector: Annotated[str | None, typer.Option("--detector", help="Face detector.")] = None,
    json_output: Json = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Report TAR at FAR 1e-2/1e-3/1e-4 and the chosen match threshold."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from veil.consent.evaluation import evaluate_identities, read_identities
    from veil.consent.matching import DEFAULT_THRESHOLD
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    images = read_identities(directory)
    found_by = get_detector(detector or DEFAULT_DETECTOR, DetectorSettings(threshold=0.3))
    embedder = get_embedder()
    stderr = Console(stderr=True)
    if stderr.is_terminal and not quiet and not json_output:
        with Progress(
            TextColumn("[bold]embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            console=stderr,
        ) as bar:
            task = bar.add_task("embedding", total=len(images))
            report = evaluate_identities(
                directory,
                found_by,
                embedder,
                DEFAULT_THRESHOLD,
                progress=lambda n: bar.advance(task, n),
                images=images,
            )
    else:
        report = evaluate_identities(
            directory, found_by, embedder, DEFAULT_THRESHOLD, images=images
        )
    if json_output:
        emit(report.to_dict())
        return
    from rich.table import Table

    table = Table(
        title=f"{safe_markup(report.dataset)}: {report.usable}/{report.images} photos, {report.persons} persons",
        caption=(
            f"{report.model}; {report.genuine_pairs} genuine, {report.impostor_pairs} impostor "
            f"pairs; {report.seconds:.1f} s"
        ),
    )
    for column in ("FAR target", "threshold", "TAR", "measured FAR", "false accepts"):
        table.add_column(column, justify="right")
    for p in report.points:
        note = "" if p.resolved else " (too few pairs)"
        table.add_row(
            f"{p.far_target:g}",
            f"{p.threshold:.4f}",
            f"{100 * p.tar:.1f}%",
            f"{p.far:.2e}{note}",
            str(p.false_accepts),
        )
    out = console()
    out.print(table)
    c, d = report.chosen, report.default_point
    out.print(
        f"chosen threshold (95% upper bound on FAR <= 1e-3): {c.threshold:.4f} "
        f"(TAR {100 * c.tar:.1f}%, FAR {c.far:.2e})"
    )
    out.print(
        f"default threshold {report.default_threshold}: TAR {100 * d.tar:.1f}%, "
        f"FAR {d.far:.2e} ({d.false_accepts} false accepts)"
    )
    for line in report.unusable:
        out.print(f"unusable: {safe_text(line)}", markup=False)
