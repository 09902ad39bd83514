"""Quality presets: named sets of multi-scale settings (``fast``, ``balanced``, ``thorough``).

``fast`` is the native pass alone (video and live streams); ``balanced`` adds a 2x upscaled
pass for faces under 32 px; ``thorough`` adds a horizontally flipped native pass too. Recall and
cost per preset are measured with ``veil eval faces DIR --quality NAME`` (docs/blur.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from veil.errors import ConfigError
from veil.vision.detectors import Detector
from veil.vision.detectors.multiscale import MultiScaleDetector, ScalePass


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
VIDEO_QUALITY = "fast"  # real time
STREAM_QUALITY = "fast"  # live streams never use a mode they cannot sustain


def resolve_quality(name: str) -> QualityPreset:
    """The preset called ``name``."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ConfigError(f"unknown quality {name!r} (known: {', '.join(PRESETS)})")
    return preset


def with_quality(detector: Detector, name: str) -> Detector:
    """``detector`` wrapped for preset ``name`` (``fast``: unchanged)."""
    preset = resolve_quality(name)
    if not preset.passes and not preset.flip_native:
        return detector
    return MultiScaleDetector(
        detector, preset.passes, flip_native=preset.flip_native, tile=preset.tile
    )
