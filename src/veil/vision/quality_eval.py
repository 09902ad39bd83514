"""Score one detector at several quality presets on the same labelled images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from veil.vision.detectors import Detector
from veil.vision.evaluation import EvaluationReport, LabelledImage, evaluate
from veil.vision.quality import with_quality
from veil.vision.redact import RedactionSettings


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
    """One :func:`~veil.vision.evaluation.evaluate` report per preset, in ``presets`` order.

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
