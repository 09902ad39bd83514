"""The flag-shaped settings of an anonymizing run, one object every caller fills in the same way.

``veil blur``, ``veil gate``, ``veil stream`` and ``veil eval faces`` parse their detection,
redaction and encoding flags into one :class:`MediaOptions` (the service's forms fill in the same
object); :meth:`MediaOptions.options` turns it into :class:`veil.pipeline.AnonymizeOptions`.
:data:`DEFAULTS` are the library's defaults, which every command's ``--help`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from veil.media.video import X264Preset
from veil.pipeline import AnonymizeOptions
from veil.vision.detectors import DetectorSettings
from veil.vision.quality import Quality
from veil.vision.redact import MaskShape, RedactionMode, RedactionSettings
from veil.vision.tracking import TrackerSettings

__all__ = ["DEFAULTS", "MediaOptions", "Precision"]

_LIBRARY = AnonymizeOptions()  # the defaults below are the library's (one source of truth)


class Precision(StrEnum):
    """Arithmetic of the detection network (the names CenterFace's ``PRECISIONS`` lists)."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"
    INT8 = "int8"


@dataclass(frozen=True)
class MediaOptions:
    """How faces are found, hidden and encoded, one field per flag.

    A command that does not offer a flag keeps its default (``veil stream`` has no ``--tiles``).
    ``quality`` None is the photo or video default; ``preset`` None is the library's x264 preset.
    """

    thresh: float = _LIBRARY.detection.threshold
    mask_scale: float = _LIBRARY.redaction.mask_scale
    mode: RedactionMode = RedactionMode.BLUR
    shape: MaskShape = MaskShape.ELLIPSE
    detector: str = _LIBRARY.detector
    max_side: int | None = None
    tiles: bool = False
    quality: Quality | None = None
    detect_every: int = _LIBRARY.detect_every
    full_every: int = _LIBRARY.full_every
    track: bool = True
    hold_frames: int = TrackerSettings().max_misses
    codec: str | None = None
    crf: int = _LIBRARY.crf
    preset: X264Preset | None = None
    keep_audio: bool = True
    keep_metadata: bool = False
    overwrite: bool = False
    threads: int = 0
    precision: Precision = Precision.AUTO

    def detection(self) -> DetectorSettings:
        """The detector's settings these options ask for."""
        return DetectorSettings(
            threshold=self.thresh,
            max_side=self.max_side,
            tiles=self.tiles,
            threads=self.threads,
            precision=self.precision.value,
        )

    def redaction(self) -> RedactionSettings:
        """How the faces found are hidden."""
        return RedactionSettings(mode=self.mode, shape=self.shape, mask_scale=self.mask_scale)

    def options(self) -> AnonymizeOptions:
        """These options as :class:`veil.pipeline.AnonymizeOptions` (checked there)."""
        options = AnonymizeOptions(
            detector=self.detector,
            detection=self.detection(),
            redaction=self.redaction(),
            tracking=TrackerSettings(max_misses=self.hold_frames) if self.track else None,
            detect_every=self.detect_every,
            full_every=self.full_every,
            codec=self.codec,
            crf=self.crf,
            keep_audio=self.keep_audio,
            keep_metadata=self.keep_metadata,
            overwrite=self.overwrite,
            quality=None if self.quality is None else self.quality.value,
        )
        return options if self.preset is None else replace(options, preset=str(self.preset))


DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(MediaOptions)}
"""Each option's default by field name (``DEFAULTS["thresh"]``), as ``--help`` shows them."""
