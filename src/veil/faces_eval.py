"""``veil eval faces`` as a library call: score detection and redaction on a labelled folder.

:func:`evaluate_faces` reads ``DIR/boxes.csv``, builds the detector the way ``veil blur`` does
and returns one :class:`~veil.vision.evaluation.EvaluationReport` per quality preset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.errors import ConfigError
from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings
from veil.vision.evaluation import EvaluationReport
from veil.vision.redact import RedactionSettings


@dataclass(frozen=True)
class FacesEvalRequest:
    """What to score and with which settings (``quality`` None: the photo default)."""

    directory: Path
    detection: DetectorSettings
    redaction: RedactionSettings
    detector: str = DEFAULT_DETECTOR
    quality: str | None = None
    all_presets: bool = False
    coverage: float = 0.8
    limit: int | None = None


def evaluate_faces(
    request: FacesEvalRequest,
    *,
    planned: Callable[[int], None] | None = None,
    progress: Callable[[], None] | None = None,
) -> list[EvaluationReport]:
    """Score ``request``; ``planned`` hears the number of image scorings, ``progress`` each one.

    Raises :class:`~veil.errors.ConfigError` for a threshold outside (0, 1) or ``quality`` with
    ``all_presets``.
    """
    from veil.detector_eval import evaluate_presets
    from veil.vision.detectors import get_detector
    from veil.vision.evaluation import read_boxes_csv
    from veil.vision.quality import PHOTO_QUALITY, PRESETS

    thresh = request.detection.threshold
    if not 0.0 < thresh < 1.0:
        raise ConfigError(f"threshold must be between 0 and 1, got {thresh}")
    if request.all_presets and request.quality is not None:
        raise ConfigError("--quality and --all-presets are exclusive")
    presets = list(PRESETS) if request.all_presets else [request.quality or PHOTO_QUALITY]
    images = read_boxes_csv(request.directory)
    if request.limit is not None:
        images = images[: request.limit]
    found_by = get_detector(request.detector, request.detection)
    detection = request.detection
    settings: dict[str, Any] = {
        "detector": request.detector,
        "thresh": thresh,
        "mask_scale": request.redaction.mask_scale,
        "shape": str(request.redaction.shape),
        "max_side": detection.max_side,
        "tiles": detection.tiles,
        # What ran: --precision auto is reported as the precision it chose on this machine.
        "precision": getattr(found_by, "precision", detection.precision),
        "coverage": request.coverage,
    }
    if planned is not None:
        planned(len(images) * len(presets))
    return evaluate_presets(
        images,
        found_by,
        presets,
        thresh,
        request.redaction,
        dataset=str(request.directory),
        settings=settings,
        coverage=request.coverage,
        progress=None if progress is None else lambda _: progress(),
    )
