"""``veil eval faces`` as a library call: score detection and redaction on a labelled folder.

:func:`evaluate_faces` reads ``DIR/boxes.csv``, builds the detector the way ``veil blur`` does
and returns one :class:`~veil.vision.evaluation.EvaluationReport` per quality preset;
:class:`FacesEvalOptions` is what ``veil eval faces`` parses, and :func:`report_rows` and
:func:`report_caption` give a report as the table the CLI prints (a page can show the same).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veil.errors import ConfigError
from veil.media_options import MediaOptions
from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings
from veil.vision.redact import RedactionSettings

if TYPE_CHECKING:
    from veil.vision.evaluation import EvaluationReport


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


@dataclass(frozen=True)
class FacesEvalOptions:
    """What ``veil eval faces`` parses: the folder, the flags it shares with ``veil blur``, and
    how to score (``media``'s video and encoding fields do not apply)."""

    directory: Path
    media: MediaOptions = field(default_factory=MediaOptions)
    all_presets: bool = False
    coverage: float = 0.8
    limit: int | None = None

    def request(self) -> FacesEvalRequest:
        """The request these options ask for."""
        media = self.media
        return FacesEvalRequest(
            directory=self.directory,
            detection=media.detection(),
            redaction=media.redaction(),
            detector=media.detector,
            quality=None if media.quality is None else media.quality.value,
            all_presets=self.all_presets,
            coverage=self.coverage,
            limit=self.limit,
        )


REPORT_COLUMNS = ("face size", "faces", "protected", "iou50", "detections", "precision")
"""The columns of :func:`report_rows`."""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def report_rows(report: EvaluationReport) -> list[tuple[str, ...]]:
    """One row per face-size bucket, in :data:`REPORT_COLUMNS` order (rates as percentages)."""
    return [
        (
            f"{b.bucket} px" if b.bucket != "all" else "all",
            str(b.faces),
            _percent(b.protected_recall),
            _percent(b.recall_iou50),
            str(b.detections),
            _percent(b.precision),
        )
        for b in report.buckets
    ]


def report_caption(report: EvaluationReport) -> str:
    """What produced ``report``, how long it took and how much of each picture was masked."""
    settings = report.settings
    return (
        f"{settings['detector']}, thresh {settings['thresh']}, mask scale "
        f"{settings['mask_scale']} {settings['shape']}, max side {settings['max_side'] or 'full'}"
        f"{' tiled' if settings['tiles'] else ''}, quality {settings['quality']}; "
        f"{report.seconds:.1f} s, {report.seconds / max(1, report.images):.3f} s per image; "
        f"{_percent(report.masked_fraction)} of each picture masked on average"
    )


def reports_document(reports: list[EvaluationReport], *, all_presets: bool) -> Any:
    """Plain data for ``--json``: the one report, or ``{"presets": [...]}`` for every preset."""
    data = [report.to_dict() for report in reports]
    return {"presets": data} if all_presets else data[0]


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
