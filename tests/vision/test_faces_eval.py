"""``veil eval faces`` as a library call (veil.faces_eval): one report per preset, typed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from veil.errors import ConfigError
from veil.faces_eval import FacesEvalRequest, evaluate_faces
from veil.media.images import write_image
from veil.vision.detectors import DetectorSettings
from veil.vision.quality import PRESETS
from veil.vision.redact import RedactionSettings


@pytest.fixture
def labelled(tmp_path: Path, astronaut_bgr: np.ndarray) -> Path:
    write_image(tmp_path / "astronaut.png", astronaut_bgr)
    write_image(tmp_path / "blank.png", np.full((120, 160, 3), 128, np.uint8))
    (tmp_path / "boxes.csv").write_text(
        "image,x,y,w,h,ignore\nastronaut.png,180,60,90,120,0\nblank.png,20,20,24,24,0\n"
    )
    return tmp_path


def request(directory: Path, **changes: Any) -> FacesEvalRequest:
    base = FacesEvalRequest(directory, DetectorSettings(), RedactionSettings())
    return replace(base, **changes)


def test_every_preset_is_scored_on_the_same_images(labelled: Path) -> None:
    totals: list[int] = []
    ticks: list[None] = []
    reports = evaluate_faces(
        request(labelled, all_presets=True, limit=1),
        planned=totals.append,
        progress=lambda: ticks.append(None),
    )
    assert [r.settings["quality"] for r in reports] == list(PRESETS)
    assert all(r.images == 1 for r in reports)  # --limit 1
    assert totals == [len(PRESETS)] and len(ticks) == len(PRESETS)
    assert reports[0].settings["coverage"] == 0.8


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"detection": DetectorSettings(threshold=1.0)}, "threshold must be between 0 and 1"),
        ({"quality": "fast", "all_presets": True}, "exclusive"),
    ],
)
def test_bad_settings_are_refused_before_reading(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        evaluate_faces(request(tmp_path / "nowhere", **changes))


def test_options_map_to_the_request_and_reports_to_rows(labelled: Path) -> None:
    from veil.faces_eval import REPORT_COLUMNS, FacesEvalOptions, report_caption, report_rows
    from veil.media_options import MediaOptions, Precision
    from veil.vision.quality import Quality
    from veil.vision.redact import MaskShape

    media = MediaOptions(
        thresh=0.3, mask_scale=1.2, shape=MaskShape.BOX, quality=Quality.FAST,
        precision=Precision.FP32, max_side=640,
    )  # fmt: skip
    options = FacesEvalOptions(labelled, media, coverage=0.5, limit=1)
    made = options.request()
    assert made.detection == DetectorSettings(threshold=0.3, max_side=640, precision="fp32")
    assert made.redaction == RedactionSettings(shape=MaskShape.BOX, mask_scale=1.2)
    assert (made.quality, made.coverage, made.limit) == ("fast", 0.5, 1)
    (report,) = evaluate_faces(made)
    rows = report_rows(report)
    assert [row[0] for row in rows] == [
        "<16 px",
        "16-32 px",
        "32-64 px",
        ">=64 px",
        ">=32 px",
        "all",
    ]
    assert all(len(row) == len(REPORT_COLUMNS) for row in rows)
    assert rows[-1][1] == "1" and rows[0][2] == "-"  # one face; none under 16 px: no rate
    caption = report_caption(report)
    assert "thresh 0.3, mask scale 1.2 box, max side 640, quality fast" in caption
