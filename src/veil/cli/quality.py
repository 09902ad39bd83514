"""The ``--quality`` option of ``veil blur``, ``veil gate`` and ``veil eval faces``
(:attr:`veil.cli.anonymize.MediaFlags.quality` carries it into the run).

Its help lists every preset with the recall and cost measured for it
(:data:`veil.vision.quality.MEASURED`, BENCHMARKS.md "Quality presets").
"""

from __future__ import annotations

from typing import Annotated

import typer

from veil.vision.quality import MEASURED, PHOTO_QUALITY, VIDEO_QUALITY, Quality

PRESETS_HELP = "; ".join(f"{name}: {figures}" for name, figures in MEASURED.items())

QualityOption = Annotated[
    Quality | None,
    typer.Option(
        "--quality",
        help=f"Detection preset (default: {PHOTO_QUALITY} for photos, {VIDEO_QUALITY} for "
        f"video). Measured on WIDER photos: {PRESETS_HELP}.",
        show_default=False,
    ),
]
