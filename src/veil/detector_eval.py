"""Score a detector on a labelled folder of image files (``veil eval``).

This joins the two halves that must not know each other: media reads the files (as ``veil blur``
reads them: upright, BGR) and vision scores the detections and the rendered redaction mask
(:func:`veil.vision.evaluation.score_detector`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from veil.core.frame import Frame
from veil.media.images import read_image
from veil.vision.detectors import Detector
from veil.vision.evaluation import (
    PROTECTED_COVERAGE,
    EvaluationReport,
    LabelledImage,
    score_detector,
)
from veil.vision.quality import with_quality
from veil.vision.redact import RedactionSettings


def read_pixels(path: Path) -> Frame:
    """An image file's pixels, upright and BGR; :class:`~veil.errors.MediaError` if unreadable."""
    return read_image(path).pixels


def evaluate(
    images: Iterable[LabelledImage],
    detector: Detector,
    threshold: float,
    redaction: RedactionSettings,
    *,
    dataset: str = "",
    settings: dict[str, Any] | None = None,
    coverage: float = PROTECTED_COVERAGE,
    progress: Callable[[LabelledImage], None] | None = None,
) -> EvaluationReport:
    """Read every labelled image from disk and score ``detector`` on it (see ``score_detector``)."""
    return score_detector(
        images,
        detector,
        threshold,
        redaction,
        read_pixels,
        dataset=dataset,
        settings=settings,
        coverage=coverage,
        progress=progress,
    )


def evaluate_presets(
    images: Sequence[LabelledImage],
    detector: Detector,
    presets: Sequence[str],
    threshold: float,
    redaction: RedactionSettings,
    *,
    dataset: str = "",
    settings: dict[str, Any] | None = None,
    coverage: float = 0.8,
    progress: Callable[[LabelledImage], None] | None = None,
) -> list[EvaluationReport]:
    """One :func:`evaluate` report per preset, in ``presets`` order.

    ``detector`` is the native detector; each preset wraps it (``settings["quality"]`` names the
    preset in its report). Seconds per image are measured per preset.
    """
    reports = []
    for name in presets:
        reports.append(
            evaluate(
                images,
                with_quality(detector, name),
                threshold,
                redaction,
                dataset=dataset,
                settings={**(settings or {}), "quality": name},
                coverage=coverage,
                progress=progress,
            )
        )
    return reports
