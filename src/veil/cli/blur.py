"""``veil blur``: irreversibly redact every face in images, folders and videos."""

from __future__ import annotations

import typer

from veil.batch_run import BatchOptions, anonymize_files
from veil.cli.media_flags import View
from veil.cli.output import help_text
from veil.cli.parsing import parses
from veil.media.images import MAX_IMAGE_PIXELS
from veil.media.video import DEFAULT_PRESET, X264Preset
from veil.vision.quality import PHOTO_QUALITY, VIDEO_QUALITY


@parses(defaults={"preset": X264Preset(DEFAULT_PRESET)})
def blur(options: BatchOptions, view: View) -> None:
    """Redact every face in ``options.inputs``; exit 1 when any input failed."""
    from veil.cli.batch_view import show_batch  # rich loads only when a batch runs

    raise typer.Exit(show_batch(view, lambda watcher: anonymize_files(options, watcher)))


def register(app: typer.Typer) -> None:
    """Add ``veil blur``."""
    megapixels = MAX_IMAGE_PIXELS / 1e6
    text = help_text("blur", megapixels=megapixels, photo=PHOTO_QUALITY, video=VIDEO_QUALITY)
    app.command("blur", help=text)(blur)
