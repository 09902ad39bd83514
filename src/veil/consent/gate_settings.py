"""How strict the consent gate is (:class:`GateSettings`), apart from the gate itself.

A light module: ``veil gate`` parses its flags into these settings without loading the registry,
the vault or the embedder (:mod:`veil.consent.gate` holds the gate that uses them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from veil.consent.matching import DEFAULT_THRESHOLD
from veil.errors import ConfigError

__all__ = ["MIN_FACE_PIXELS", "GateSettings", "LabelMode"]

MIN_FACE_PIXELS = 40  # faces with a shorter side are redacted without trying to recognize them

LabelMode = Literal["none", "subject", "pseudonym"]


@dataclass(frozen=True)
class GateSettings:
    """How strict the gate is and how it reports.

    ``threshold``: maximum embedding distance of a match (default measured for FAR <= 1e-3).
    ``min_face``: short side (pixels) below which a face is redacted unrecognized.
    ``label``: what :class:`FaceDecisions` labels a kept face with (``none``, the operator's
    ``subject`` id, or the ledger ``pseudonym``).
    ``refresh_seconds``: how often consent states are re-read from the registry while running.
    ``event_interval``: the least time between two ``identify`` events of one subject.
    ``recheck_frames``: video: frames a tracked face that did not match stays redacted before it
    is embedded again (1: every frame).
    """

    threshold: float = DEFAULT_THRESHOLD
    min_face: int = MIN_FACE_PIXELS
    label: LabelMode = "none"
    refresh_seconds: float = 5.0
    event_interval: float = 60.0
    recheck_frames: int = 5

    def __post_init__(self) -> None:
        if self.recheck_frames < 1:
            raise ConfigError("recheck-frames must be at least 1")
        if not 0.0 < self.threshold < 2.0:
            raise ConfigError(f"match threshold must be between 0 and 2, got {self.threshold}")
        if self.min_face < 1:
            raise ConfigError("min-face must be at least 1 pixel")
        if self.label not in ("none", "subject", "pseudonym"):
            raise ConfigError(f"unknown label mode {self.label!r}")
