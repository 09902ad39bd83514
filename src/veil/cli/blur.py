"""``veil blur``: irreversibly redact every face in images, folders and videos."""

from __future__ import annotations

from typing import Annotated

import typer

from veil.cli import media_flags as flags
from veil.cli.anonymize import BatchFlags, MediaFlags, run_anonymize
from veil.cli.quality import QualityOption
from veil.media.images import MAX_IMAGE_PIXELS
from veil.media.video import DEFAULT_PRESET, X264Preset
from veil.vision.quality import PHOTO_QUALITY, VIDEO_QUALITY
from veil.vision.redact import MaskShape, RedactionMode

D = flags.DEFAULTS
Preset = Annotated[
    X264Preset,
    typer.Option(
        "--preset",
        help="Video: x264 preset; faster ones give larger files at the same --crf.",
    ),
]

HELP = f"""Redact every face in images, folders and videos, irreversibly.

Outputs carry no metadata (EXIF, GPS, video tags) unless --keep-metadata; video keeps its frame
count, timing and audio. A frame whose detection fails is written fully blanked, never raw.
Images over {MAX_IMAGE_PIXELS / 1e6:.1f} megapixels are refused as bad input (exit status 1, the
rest of the batch is still processed).

Examples:

  veil blur photo.jpg                       # writes photo_anonymized.jpg

  veil blur shots/ clips/ -o public/        # folders mirrored under public/

  veil blur lobby.mp4 -o lobby.mp4 --mode pixelate --json

  veil blur big.jpg --max-side 1280 --tiles # small faces in large frames

  veil blur archive.mp4 --quality thorough  # video too: small faces, slower

  veil blur archive/ -o public/ --ray auto  # on a Ray cluster; a rerun resumes

--quality picks the detection preset: photos default to {PHOTO_QUALITY}, video to
{VIDEO_QUALITY} (real time); `veil eval faces DIR --all-presets` measures them on your data.

Once `veil ledger init` has been run, every output is also logged in the trace ledger as an
'anonymize' event (digests and counts only); --no-ledger turns that off.
"""


def blur(
    inputs: flags.Inputs,
    output: flags.Output = None,
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
    preset: Preset = X264Preset(DEFAULT_PRESET),
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
    db: flags.LedgerDb = None,
    ray: flags.RayAddress = None,
    ray_workers: flags.RayWorkers = 0,
    ray_retries: flags.RayRetries = 3,
) -> None:
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
            preset=preset.value,
        ),
        json_output=json_output,
        boxes_out=boxes_out,
        quiet=quiet,
        ledger=ledger,
        controller=controller,
        db=db,
        ray=ray,
        ray_workers=ray_workers,
        ray_retries=ray_retries,
    )
    raise typer.Exit(run_anonymize(parsed, parsed.request("veil-blur")))


def register(app: typer.Typer) -> None:
    """Add ``veil blur``."""
    app.command("blur", help=HELP)(blur)
