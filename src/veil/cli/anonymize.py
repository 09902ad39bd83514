"""What ``veil blur`` and ``veil gate`` share: their parsed flags as typed objects, and the run.

A command builds one :class:`BatchFlags` (its :class:`MediaFlags` inside) from what it parsed;
:func:`run_anonymize` turns it into a :class:`~veil.batch_run.BatchRequest`, makes the one library
call (:func:`~veil.batch_run.anonymize_batch`) under the progress display of
:mod:`veil.cli.batch_view`, prints the summary (``--json`` for machines) and returns the exit
status (1 when any input failed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from veil.batch_run import BatchOutcome, BatchRequest, BatchWatcher, ray_settings, trace_settings
from veil.cli.media_flags import DEFAULTS, Precision
from veil.pipeline import AnonymizeOptions
from veil.vision.detectors import DetectorSettings
from veil.vision.quality import Quality
from veil.vision.redact import MaskShape, RedactionMode, RedactionSettings
from veil.vision.tracking import TrackerSettings

__all__ = ["DEFAULTS", "BatchFlags", "MediaFlags", "Precision", "run_anonymize"]


@dataclass(frozen=True)
class MediaFlags:
    """The detection, redaction and encoding flags of a command, as parsed.

    Flags a command does not offer keep these defaults (``veil stream`` has no ``--tiles``).
    """

    thresh: float = DEFAULTS["thresh"]
    mask_scale: float = DEFAULTS["mask_scale"]
    mode: RedactionMode = DEFAULTS["mode"]
    shape: MaskShape = DEFAULTS["shape"]
    detector: str = DEFAULTS["detector"]
    max_side: int | None = DEFAULTS["max_side"]
    tiles: bool = DEFAULTS["tiles"]
    detect_every: int = DEFAULTS["detect_every"]
    track: bool = DEFAULTS["track"]
    hold_frames: int = DEFAULTS["hold_frames"]
    codec: str | None = None
    crf: int = DEFAULTS["crf"]
    keep_audio: bool = True
    keep_metadata: bool = False
    overwrite: bool = False
    threads: int = 0
    precision: Precision = DEFAULTS["precision"]
    quality: Quality | None = None  # None: the photo or video default
    preset: str | None = None  # x264 preset; None: the library's default

    def options(self) -> AnonymizeOptions:
        """These flags as :class:`veil.pipeline.AnonymizeOptions`."""
        options = AnonymizeOptions(
            detector=self.detector,
            detection=DetectorSettings(
                threshold=self.thresh,
                max_side=self.max_side,
                tiles=self.tiles,
                threads=self.threads,
                precision=self.precision.value,
            ),
            redaction=RedactionSettings(
                mode=self.mode, shape=self.shape, mask_scale=self.mask_scale
            ),
            tracking=TrackerSettings(max_misses=self.hold_frames) if self.track else None,
            detect_every=self.detect_every,
            codec=self.codec,
            crf=self.crf,
            keep_audio=self.keep_audio,
            keep_metadata=self.keep_metadata,
            overwrite=self.overwrite,
            quality=None if self.quality is None else self.quality.value,
        )
        return options if self.preset is None else replace(options, preset=self.preset)


@dataclass(frozen=True)
class BatchFlags:
    """Everything ``veil blur`` or ``veil gate`` parsed, besides the gate's own flags."""

    inputs: tuple[Path, ...]
    output: Path | None
    media: MediaFlags
    json_output: bool = False
    boxes_out: Path | None = None
    quiet: bool = False
    ledger: bool | None = None  # None: on once `veil ledger init` has been run
    controller: str | None = None
    db: str | None = None
    ray: str | None = None
    ray_workers: int = 0
    ray_retries: int = 3

    def request(self, system: str, **why: str) -> BatchRequest:
        """The library request these flags ask for; ``system`` names the run in the ledger."""
        return BatchRequest(
            inputs=self.inputs,
            output=self.output,
            options=self.media.options(),
            boxes_out=self.boxes_out,
            trace=trace_settings(self.ledger, system, self.controller, self.db, **why),
            ray=ray_settings(self.ray, self.ray_workers, self.ray_retries),
        )


Runner = Callable[[BatchRequest, BatchWatcher], BatchOutcome]
"""The library call that runs a batch (:func:`veil.batch_run.anonymize_batch` by default)."""


def run_anonymize(flags: BatchFlags, request: BatchRequest, runner: Runner | None = None) -> int:
    """Run ``request`` as the CLI does (progress, summary); returns the exit status."""
    from veil.batch_run import anonymize_batch
    from veil.cli.batch_view import BatchView

    with BatchView(quiet=flags.quiet or flags.json_output) as view:
        outcome = (runner or anonymize_batch)(request, view)
    view.print_outcome(outcome, json_output=flags.json_output, quiet=flags.quiet)
    return 1 if outcome.summary.failed else 0
