"""``veil gate``: like ``veil blur``, but faces of people who consented to the purpose stay visible."""

from __future__ import annotations

import typer

from veil.cli.consent import Db
from veil.cli.media_flags import View
from veil.cli.output import help_text
from veil.cli.parsing import parses
from veil.consent.gated_batch import GateOptions, anonymize_gated
from veil.consent.matching import DEFAULT_THRESHOLD
from veil.media.images import MAX_IMAGE_PIXELS

GATE_FLAGS = {
    "purpose": typer.Option("--purpose", "-p", help="The declared purpose consent must cover."),
    "threshold": typer.Option(
        "--match-threshold",
        min=0.05,
        max=1.5,
        help="Maximum embedding distance of a match (lower is stricter).",
    ),
    "min_face": typer.Option(
        "--min-face", min=1, help="Faces smaller than this (pixels) are always redacted."
    ),
    "recheck_frames": typer.Option("--recheck-frames", min=1, help=help_text("recheck_frames")),
    "db": Db,
}
GATE_SKIP = ("settings.label", "settings.refresh_seconds", "settings.event_interval")


@parses(flags=GATE_FLAGS, skip=(*GATE_SKIP, "batch.media.preset"))
def gate(options: GateOptions, view: View) -> None:
    """Redact every face but those of people who consented to ``options.purpose``."""
    from veil.cli.batch_view import show_batch  # rich loads only when a batch runs

    raise typer.Exit(show_batch(view, lambda watcher: anonymize_gated(options, watcher)))


def register(app: typer.Typer) -> None:
    """Add ``veil gate``."""
    text = help_text("gate", megapixels=MAX_IMAGE_PIXELS / 1e6, threshold=DEFAULT_THRESHOLD)
    app.command("gate", help=text)(gate)
