"""The flags that anonymizing commands share (``veil blur``, ``veil gate``, ``veil stream``,
``veil eval faces``), as ``Annotated`` aliases so each command declares one with one line, and
the library defaults every command's ``--help`` shows (one source of truth)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.vision.detectors import DEFAULT_DETECTOR, DETECTORS, DetectorSettings
from veil.vision.redact import MODES, SHAPES, MaskShape, RedactionMode, RedactionSettings
from veil.vision.tracking import TrackerSettings

Inputs = Annotated[
    list[Path],
    typer.Argument(help="Images, videos or folders (searched recursively).", show_default=False),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Output file (one input) or folder. Default: beside each input, named *_anonymized.",
    ),
]
Thresh = Annotated[
    float, typer.Option("--thresh", "-t", help="Minimum detection score (lower finds more faces).")
]
MaskScale = Annotated[
    float, typer.Option("--mask-scale", help="Grow each face box by this factor before masking.")
]
Mode = Annotated[
    RedactionMode,
    typer.Option(
        "--mode",
        parser=RedactionMode.named,
        metavar="MODE",
        help=f"How faces are hidden: {', '.join(MODES.names())} ('none' is for debugging only).",
    ),
]
Shape = Annotated[
    MaskShape,
    typer.Option(
        "--shape",
        parser=MaskShape.named,
        metavar="SHAPE",
        help=f"Shape of the mask around each face: {', '.join(SHAPES.names())}.",
    ),
]
DetectorName = Annotated[
    str,
    typer.Option(
        "--detector", help=f"Face detector: {', '.join(sorted(DETECTORS))}.", show_default=True
    ),
]
MaxSide = Annotated[
    int | None,
    typer.Option(
        "--max-side",
        help="Longest side of the image the detector sees (default: full resolution). Smaller is faster.",
        min=64,
    ),
]
Tiles = Annotated[
    bool,
    typer.Option(
        "--tiles/--no-tiles",
        help="With --max-side: cover large frames with tiles instead of shrinking.",
    ),
]
DetectEvery = Annotated[
    int,
    typer.Option(
        "--detect-every",
        min=1,
        help="Video: run the detector every N frames; tracking fills the gaps.",
    ),
]
Track = Annotated[
    bool, typer.Option("--track/--no-track", help="Video: hold faces through missed detections.")
]
HoldFrames = Annotated[
    int, typer.Option("--hold-frames", min=0, help="Video: frames a lost face stays masked.")
]
Codec = Annotated[
    str | None,
    typer.Option(
        "--codec", help="Video codec (default libx264; libvpx-vp9 for .webm; mpeg4 for .avi)."
    ),
]
Crf = Annotated[
    int, typer.Option("--crf", min=0, max=63, help="Video quality: lower is better and larger.")
]
KeepAudio = Annotated[
    bool,
    typer.Option(
        "--keep-audio/--no-audio", help="Copy audio and subtitle streams through untouched."
    ),
]
KeepMetadata = Annotated[
    bool,
    typer.Option("--keep-metadata", help="Keep EXIF/XMP/GPS and video tags (stripped by default)."),
]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace existing outputs.")]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable JSON summary on stdout.")
]
BoxesOut = Annotated[
    Path | None,
    typer.Option("--boxes-out", help="Write every frame's faces as JSON lines, for review."),
]
Threads = Annotated[int, typer.Option("--threads", min=0, help="Detector threads (0: all cores).")]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="auto|ADDRESS",
        help="Run on a Ray cluster: 'auto' (the running cluster, else one on this machine) or "
        "its address. Needs pip install 'veil[ray]'. A rerun skips inputs already done.",
    ),
]
RayWorkers = Annotated[
    int, typer.Option("--ray-workers", min=0, help="With --ray: detector workers (0: one per CPU).")
]
RayRetries = Annotated[
    int,
    typer.Option(
        "--ray-retries",
        min=0,
        help="With --ray: restarts of a lost worker (its task "
        "retried) before the run stops with an error.",
    ),
]


class Precision(StrEnum):
    """Arithmetic of the detection network (the names CenterFace's ``PRECISIONS`` lists)."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"
    INT8 = "int8"


PrecisionOption = Annotated[
    Precision,
    typer.Option(
        "--precision",
        help="Detector arithmetic. auto: bf16 where the CPU computes it natively (about 1.7x "
        "faster than fp32, same faces found), else fp32. fp32: the original network on "
        "onnxruntime (CUDA when present). bf16: OpenVINO in bfloat16. int8: quantized once from "
        "the packaged weights and cached, about 2x faster than fp32 and as good on well-lit "
        "photos, but it misses faces in dark footage.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")]
LedgerFlag = Annotated[
    bool | None,
    typer.Option(
        "--ledger/--no-ledger",
        help="Log one 'anonymize' event per output in the trace ledger "
        "(default: on once `veil ledger init` has been run).",
        show_default=False,
    ),
]
Controller = Annotated[
    str | None,
    typer.Option(
        "--controller",
        help="With the ledger: the personal-information handler responsible (default: the "
        "ledger's origin).",
    ),
]
LedgerDb = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="With the ledger: its database URL (default: $VEIL_DB or SQLite under $VEIL_HOME).",
    ),
]

# The library's defaults, shown in every command's --help (one source of truth).
DEFAULTS: dict[str, Any] = {
    "thresh": DetectorSettings().threshold,
    "mask_scale": RedactionSettings().mask_scale,
    "mode": RedactionMode.BLUR,
    "shape": MaskShape.ELLIPSE,
    "detector": DEFAULT_DETECTOR,
    "max_side": None,
    "tiles": False,
    "detect_every": 2,
    "track": True,
    "hold_frames": TrackerSettings().max_misses,
    "crf": 20,
    "precision": Precision.AUTO,
}
