"""What ``veil blur`` and ``veil gate`` share: their options, progress display and summary.

Each option is an ``Annotated`` alias, so a command that anonymizes declares the same flags with
one line each; :func:`build_options` turns them into :class:`~veil.pipeline.AnonymizeOptions`
and :func:`run_anonymize` plans outputs, runs the batch with a progress bar on a terminal, prints
the summary (``--json`` for machines) and returns the exit status (1 when any input failed).
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from veil.boxes import BoxesWriter
from veil.errors import ConfigError
from veil.textsafe import safe_markup, safe_text
from veil.trace import RunTrace, TraceSettings, ledger_configured
from veil.vision.detectors import DEFAULT_DETECTOR, DETECTORS, DetectorSettings
from veil.vision.redact import MaskShape, RedactionMode, RedactionSettings
from veil.vision.tracking import TrackerSettings

if TYPE_CHECKING:
    from veil.scale.policies import GatePolicySpec
    from veil.scale.ray_runner import RaySettings

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
    typer.Option("--mode", help="How faces are hidden ('none' is for debugging only)."),
]
Shape = Annotated[MaskShape, typer.Option("--shape", help="Shape of the mask around each face.")]
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

SUMMARY_ROWS = 20  # larger batches list only their problems; --json lists everything

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


def build_options(
    *,
    thresh: float,
    mask_scale: float,
    mode: RedactionMode,
    shape: MaskShape,
    detector: str,
    max_side: int | None,
    tiles: bool,
    detect_every: int,
    track: bool,
    hold_frames: int,
    codec: str | None,
    crf: int,
    keep_audio: bool,
    keep_metadata: bool,
    overwrite: bool,
    threads: int,
    precision: Precision,
) -> Any:
    """Turn command-line flags into :class:`veil.pipeline.AnonymizeOptions`."""
    from veil.pipeline import AnonymizeOptions

    return AnonymizeOptions(
        detector=detector,
        detection=DetectorSettings(
            threshold=thresh,
            max_side=max_side,
            tiles=tiles,
            threads=threads,
            precision=precision.value,
        ),
        redaction=RedactionSettings(mode=mode, shape=shape, mask_scale=mask_scale),
        tracking=TrackerSettings(max_misses=hold_frames) if track else None,
        detect_every=detect_every,
        codec=codec,
        crf=crf,
        keep_audio=keep_audio,
        keep_metadata=keep_metadata,
        overwrite=overwrite,
    )


def options_from(parameters: Mapping[str, Any], **overrides: Any) -> Any:
    """:func:`build_options` from a command's parameters (its ``locals()``), matched by name.

    ``overrides`` fix the flags a command does not offer (``veil stream`` has no ``--tiles``).
    """
    values = {**parameters, **overrides}
    return build_options(**{name: values[name] for name in _OPTION_NAMES})


_OPTION_NAMES = tuple(inspect.signature(build_options).parameters)


def run_anonymize(
    inputs: list[Path],
    output: Path | None,
    options: Any,
    *,
    policy: Any = None,
    json_output: bool = False,
    boxes_out: Path | None = None,
    quiet: bool = False,
    trace: TraceSettings | None = None,
    ray: RaySettings | None = None,
    ray_policy: GatePolicySpec | None = None,
) -> int:
    """Anonymize a batch as the CLI does; returns the exit status.

    With ``trace``, each written output is logged in the ledger as it finishes; with ``ray``,
    the batch runs on a Ray cluster (same outputs, summary and events), each worker opening
    ``ray_policy`` (a consent gate) for itself.
    """
    from veil.media.video import probe_video
    from veil.pipeline import Anonymizer, MediaKind, plan_outputs, run_batch

    console = Console(stderr=True)
    jobs, problems = plan_outputs(inputs, output)
    for problem in problems:
        _say(f"veil: error: {problem.error}")
    if ray is not None and (boxes_out is not None or policy is not None):
        raise ConfigError("--ray does not support --boxes-out yet; run without --ray")
    boxes = BoxesWriter(boxes_out) if boxes_out is not None else None
    show_progress = console.is_terminal and not quiet and not json_output

    def frames_of(job: Any) -> int:
        if job.kind is MediaKind.IMAGE:
            return 1
        try:
            return max(1, probe_video(job.source).frame_count)
        except Exception:
            return 1

    ledger = RunTrace.open(trace) if trace is not None else None

    def report_failure(result: Any) -> None:
        if result.error and result.status.value == "failed":
            _say(f"veil: error: {result.error}")
        elif result.status.value == "skipped":
            _say(f"veil: skipped {result.input}: {result.error}")
        if ledger is not None and ray is None:  # the Ray runner logs on the driver itself
            ledger.record(result)

    def execute(**callbacks: Any) -> Any:
        if ray is None:
            anonymizer = Anonymizer(options, policy=policy, observer=boxes)
            return run_batch(jobs, anonymizer, **callbacks)
        from veil.scale.manifest import Manifest
        from veil.scale.ray_runner import run_batch_on_ray

        manifest = Manifest(options)
        return run_batch_on_ray(
            jobs, options, ray, policy=ray_policy, trace=ledger, manifest=manifest, **callbacks
        )

    completed = False
    try:
        if show_progress:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("frames"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            ) as bar:
                task = bar.add_task("anonymizing", total=sum(frames_of(j) for j in jobs))
                summary = execute(
                    on_start=lambda job: bar.update(task, description=_short(job.source)),
                    progress=lambda n: bar.advance(task, n),
                    on_done=report_failure,
                )
        else:
            summary = execute(on_done=report_failure)
        completed = True
    finally:
        if boxes is not None:
            boxes.close(keep=completed)
        if ledger is not None:
            ledger.close()
    summary.files[:0] = problems
    if json_output:
        document = summary.to_dict()
        if ledger is not None:
            document["ledger_indexes"] = ledger.indexes
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif not quiet:
        _print_summary(console, summary)
        if ledger is not None:
            console.print(f"{len(ledger.indexes)} events logged in the trace ledger.")
    return 1 if summary.failed else 0


def trace_settings(
    enabled: bool | None, system: str, controller: str | None, db_url: str | None, **why: str
) -> TraceSettings | None:
    """The ledger settings of a run: explicit ``--ledger``, or on when a ledger exists."""
    if enabled is False or (enabled is None and not ledger_configured()):
        return None
    return TraceSettings(system=system, controller=controller, db_url=db_url, **why)


def _say(line: str) -> None:
    """One whole line on stderr (never wrapped, so scripts can grep it)."""
    sys.stderr.write(safe_text(line) + "\n")
    sys.stderr.flush()


def _short(path: Path, width: int = 40) -> str:
    text = safe_text(path)
    return safe_markup(text if len(text) <= width else "…" + text[-(width - 1) :])


def _print_summary(console: Console, summary: Any) -> None:
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


def ray_settings(address: str | None, workers: int) -> RaySettings | None:
    """``--ray``/``--ray-workers`` as settings (``None``: run locally; Ray is not imported)."""
    if address is None:
        return None
    from veil.scale.ray_runner import RaySettings

    return RaySettings(address=address, workers=workers)
