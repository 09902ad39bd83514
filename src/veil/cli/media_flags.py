"""One declaration per flag of the anonymizing commands (``veil blur``, ``veil gate``, ``veil
stream``, ``veil eval faces``), keyed by the options field it fills in.

:func:`veil.cli.parsing.parses` shows each field of a command's options objects
(:class:`~veil.media_options.MediaOptions`, :class:`~veil.batch_run.BatchOptions`,
:class:`View`) as the flag :data:`FLAGS` declares for its name, with the field's library default;
a command declares only the flags that are its own. Long help texts are package data
(:func:`veil.cli.output.help_text`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from veil.cli.output import help_text
from veil.textsafe import safe_text
from veil.vision.detectors import DETECTORS
from veil.vision.quality import MEASURED, PHOTO_QUALITY, VIDEO_QUALITY
from veil.vision.redact import MODES, SHAPES, MaskShape, RedactionMode

PRESETS_HELP = "; ".join(f"{name}: {figures}" for name, figures in MEASURED.items())
Argument, Option = typer.Argument, typer.Option


FLAGS: dict[str, Any] = {
    "inputs": Argument(
        help="Images, videos or folders (searched recursively).", show_default=False
    ),
    "output": Option(
        "--output",
        "-o",
        help="Output file (one input) or folder. Default: beside each input, named *_anonymized.",
    ),
    "thresh": Option("--thresh", "-t", help="Minimum detection score (lower finds more faces)."),
    "mask_scale": Option("--mask-scale", help="Grow each face box by this factor before masking."),
    "mode": Option(
        "--mode",
        parser=RedactionMode.named,
        metavar="MODE",
        help=f"How faces are hidden: {', '.join(MODES.names())} ('none' is for debugging only).",
    ),
    "shape": Option(
        "--shape",
        parser=MaskShape.named,
        metavar="SHAPE",
        help=f"Shape of the mask around each face: {', '.join(SHAPES.names())}.",
    ),
    "detector": Option("--detector", help=f"Face detector: {', '.join(sorted(DETECTORS))}."),
    "max_side": Option(
        "--max-side",
        help="Longest side of the image the detector sees (default: full resolution). Smaller is faster.",
        min=64,
    ),
    "tiles": Option(
        "--tiles/--no-tiles",
        help="With --max-side: cover large frames with tiles instead of shrinking.",
    ),
    "quality": Option(
        "--quality",
        help=f"Detection preset (default: {PHOTO_QUALITY} for photos, {VIDEO_QUALITY} for "
        f"video). Measured on WIDER photos: {PRESETS_HELP}.",
        show_default=False,
    ),
    "detect_every": Option(
        "--detect-every",
        min=1,
        help="Video: run the detector every N frames; tracking fills the gaps.",
    ),
    "full_every": Option(
        "--full-every",
        min=1,
        help="Video: look at the whole frame at least every N frames (and at every scene cut); "
        "detections between look only around tracked faces and where the picture moved. "
        "1: every detection looks at the whole frame.",
    ),
    "track": Option("--track/--no-track", help="Video: hold faces through missed detections."),
    "hold_frames": Option("--hold-frames", min=0, help="Video: frames a lost face stays masked."),
    "codec": Option(
        "--codec", help="Video codec (default libx264; libvpx-vp9 for .webm; mpeg4 for .avi)."
    ),
    "crf": Option("--crf", min=0, max=63, help="Video quality: lower is better and larger."),
    "preset": Option(
        "--preset", help="Video: x264 preset; faster ones give larger files at the same --crf."
    ),
    "keep_audio": Option(
        "--keep-audio/--no-audio", help="Copy audio and subtitle streams through untouched."
    ),
    "keep_metadata": Option(
        "--keep-metadata", help="Keep EXIF/XMP/GPS and video tags (stripped by default)."
    ),
    "overwrite": Option("--overwrite", help="Replace existing outputs."),
    "json_output": Option("--json", help="Print a machine-readable JSON summary on stdout."),
    "boxes_out": Option("--boxes-out", help="Write every frame's faces as JSON lines, for review."),
    "threads": Option("--threads", min=0, help="Detector threads (0: all cores)."),
    "ray": Option("--ray", metavar="auto|ADDRESS", help=help_text("ray")),
    "ray_workers": Option(
        "--ray-workers", min=0, help="With --ray: detector workers (0: one per CPU)."
    ),
    "ray_retries": Option(
        "--ray-retries",
        min=0,
        help="With --ray: restarts of a lost worker (its task retried) before the run stops "
        "with an error.",
    ),
    "precision": Option("--precision", help=help_text("precision")),
    "quiet": Option("--quiet", "-q", help="No progress bar or table."),
    "ledger": Option("--ledger/--no-ledger", help=help_text("ledger"), show_default=False),
    "controller": Option("--controller", help=help_text("controller")),
    "db": Option("--db", help=help_text("db")),
}
"""Every shared flag by the options field it fills in (its type is the field's, see parsing)."""


@dataclass(frozen=True)
class View:
    """How a command presents its outcome: JSON on stdout (``--json``), nothing (``--quiet``)
    or progress and a human summary on stderr."""

    json_output: bool = False
    quiet: bool = False

    @property
    def silent(self) -> bool:
        """No progress and no human summary (``--json`` or ``--quiet``)."""
        return self.json_output or self.quiet

    def present(self, data: object, summary: Callable[[], object]) -> None:
        """``data`` as JSON on stdout with ``--json``, else the human ``summary`` unless quiet."""
        if self.json_output:
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        elif not self.quiet:
            summary()


def say(*lines: str) -> None:
    """Whole lines on stderr (never wrapped, control characters escaped: scripts grep them)."""
    for line in lines:
        sys.stderr.write(safe_text(line) + "\n")
    sys.stderr.flush()
