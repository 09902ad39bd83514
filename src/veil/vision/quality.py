"""Quality presets: named sets of multi-scale settings (``fast``, ``balanced``, ``thorough``).

``fast`` is the native pass alone (video and live streams); ``balanced`` adds a 2x upscaled
pass for faces under 32 px; ``thorough`` adds a horizontally flipped native pass and keeps 2x
faces up to 48 px. Measured on wider-dev (284 photos, 1024 px wide; BENCHMARKS.md "Quality
presets"), protected recall <16 px / >=32 px / all and seconds per photo on 2 cores:

* ``fast``: 65.5% / 97.4% / 80.2%, precision 47.4%, about 0.09 s.
* ``balanced``: 92.7% / 97.6% / 95.0%, precision 34.6%, about 0.4 s.
* ``thorough``: 92.9% / 98.2% / 95.3%, precision 32.0%, about 0.4 s; never below ``fast`` in
  any size bucket (native detections are kept as they are). Under 1 s per photo, so it is the
  photo default (:data:`PHOTO_QUALITY`); video keeps ``fast`` (:data:`VIDEO_QUALITY`).

``veil eval faces DIR --all-presets`` measures them on other data (:data:`MEASURED` feeds --help).
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
# Measured on wider-dev (all 284 WIDER FACE photos, 1024 px wide, 3338 faces), centerface
# defaults (thresh 0.15, mask 1.8): protected recall of faces <16 px / >=32 px / all, precision of
# all detections, seconds per photo on 2 cores (BENCHMARKS.md "Quality presets" has the rest).
MEASURED: dict[str, str] = {
    "fast": "native pass, protects 65.5% <16 px, 97.4% >=32 px, 80.2% of all faces, "
    "precision 47.4%, about 0.09 s per photo",
    "balanced": "+ 2x pass for faces under 32 px, 92.7% <16 px, 97.6% >=32 px, 95.0% all, "
    "precision 34.6%, about 0.4 s",
    "thorough": "+ flipped native pass and 2x pass up to 48 px, 92.9% <16 px, 98.2% >=32 px, "
    "95.3% all, precision 32.0%, about 0.4 s",
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
