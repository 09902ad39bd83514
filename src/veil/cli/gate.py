"""``veil gate``: like ``veil blur``, but faces of people who consented to the purpose stay visible."""

from __future__ import annotations

import functools
from typing import Annotated

import typer

from veil.cli import media_flags as flags
from veil.cli.anonymize import BatchFlags, MediaFlags, run_anonymize
from veil.cli.consent import Db
from veil.cli.quality import QualityOption
from veil.consent.matching import DEFAULT_THRESHOLD
from veil.media.images import MAX_IMAGE_PIXELS
from veil.vision.redact import MaskShape, RedactionMode

D = flags.DEFAULTS

HELP = f"""Recognize only the people who consented to PURPOSE; redact everyone else.

Same inputs, outputs and options as `veil blur` (images over {MAX_IMAGE_PIXELS / 1e6:.1f} megapixels
are refused). A face stays visible only when it matches the
enrolled templates of a person whose consent for --purpose is valid now (given, not expired, not
withdrawn, with a guardian's consent under 14); each identification is logged to the ledger under
the person's pseudonym. Every other face is redacted and its embedding forgotten at once: never
stored, logged or returned. Any doubt or failure redacts. Needs the master key (VEIL_MASTER_KEY
or $VEIL_HOME/master.key) and the dlib face models (pip install 'veil\\[faces]').

The default --match-threshold ({DEFAULT_THRESHOLD}) was chosen for a false-accept rate <= 0.001
(see `veil eval identities`).

Examples:

  veil gate lobby.mp4 --purpose access-gate -o lobby_gated.mp4

  veil gate shots/ --purpose member-greeting -o public/ --json

  veil gate cam.jpg --purpose access-gate --match-threshold 0.5 --mode solid
"""

Purpose = Annotated[
    str, typer.Option("--purpose", "-p", help="The declared purpose consent must cover.")
]
MatchThreshold = Annotated[
    float,
    typer.Option(
        "--match-threshold",
        min=0.05,
        max=1.5,
        help="Maximum embedding distance of a match (lower is stricter).",
    ),
]
MinFace = Annotated[
    int,
    typer.Option("--min-face", min=1, help="Faces smaller than this (pixels) are always redacted."),
]
RecheckFrames = Annotated[
    int,
    typer.Option(
        "--recheck-frames",
        min=1,
        help="Video: a tracked face that did not match is re-checked every N frames "
        "(redacted meanwhile); matched faces are re-checked every frame.",
    ),
]


def gate(
    inputs: flags.Inputs,
    purpose: Purpose,
    output: flags.Output = None,
    match_threshold: MatchThreshold = DEFAULT_THRESHOLD,
    min_face: MinFace = 40,
    recheck_frames: RecheckFrames = 5,
    db: Db = None,
    thresh: flags.Thresh = D["thresh"],
    mask_scale: flags.MaskScale = D["mask_scale"],
    mode: flags.Mode = RedactionMode.BLUR,
    shape: flags.Shape = MaskShape.ELLIPSE,
    detector: flags.DetectorName = D["detector"],
    max_side: flags.MaxSide = D["max_side"],
    tiles: flags.Tiles = D["tiles"],
    quality: QualityOption = None,
    detect_every: flags.DetectEvery = D["detect_every"],
    track: flags.Track = D["track"],
    hold_frames: flags.HoldFrames = D["hold_frames"],
    codec: flags.Codec = None,
    crf: flags.Crf = D["crf"],
    keep_audio: flags.KeepAudio = True,
    keep_metadata: flags.KeepMetadata = False,
    overwrite: flags.Overwrite = False,
    json_output: flags.JsonOutput = False,
    boxes_out: flags.BoxesOut = None,
    threads: flags.Threads = 0,
    precision: flags.PrecisionOption = D["precision"],
    quiet: flags.Quiet = False,
    ledger: flags.LedgerFlag = None,
    controller: flags.Controller = None,
    ray: flags.RayAddress = None,
    ray_workers: flags.RayWorkers = 0,
    ray_retries: flags.RayRetries = 3,
) -> None:
    from veil.consent.gate import GateSettings
    from veil.consent.gated_batch import anonymize_gated
    from veil.media.targets import check_output_name

    check_output_name(inputs, output)  # a misnamed output is refused before the registry opens
    parsed = BatchFlags(
        inputs=tuple(inputs),
        output=output,
        media=MediaFlags(
            thresh=thresh,
            mask_scale=mask_scale,
            mode=mode,
            shape=shape,
            detector=detector,
            max_side=max_side,
            tiles=tiles,
            detect_every=detect_every,
            track=track,
            hold_frames=hold_frames,
            codec=codec,
            crf=crf,
            keep_audio=keep_audio,
            keep_metadata=keep_metadata,
            overwrite=overwrite,
            threads=threads,
            precision=precision,
            quality=quality,
        ),
        json_output=json_output,
        boxes_out=boxes_out,
        quiet=quiet,
        ledger=True if ledger is None else ledger,  # the gate always keeps a ledger
        controller=controller,
        db=db,
        ray=ray,
        ray_workers=ray_workers,
        ray_retries=ray_retries,
    )
    request = parsed.request(
        "veil-gate", purpose=f"{purpose}: recognize consenting people, redact everyone else"
    )
    settings = GateSettings(
        threshold=match_threshold, min_face=min_face, recheck_frames=recheck_frames
    )
    runner = functools.partial(anonymize_gated, db_url=db, purpose=purpose, settings=settings)
    raise typer.Exit(run_anonymize(parsed, request, runner))


def register(app: typer.Typer) -> None:
    """Add ``veil gate``."""
    app.command("gate", help=HELP)(gate)
