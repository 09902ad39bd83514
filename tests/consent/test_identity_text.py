"""``veil eval identities`` from Python: measure_identities with the named detector and the default
embedder reports progress per photo, and the report's text is what the command prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veil.consent.evaluation import measure_identities
from veil.core.shown import TextTable
from veil.media.images import write_image

from .conftest import BoxDetector, ColourEmbedder


def test_measure_reports_progress_and_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    colours = {"a1.png": 10, "a2.png": 12, "b1.png": 200, "b2.png": 202, "c.png": 90}
    for name, value in colours.items():
        write_image(tmp_path / name, np.full((100, 100, 3), value, np.uint8))
    people = "\n".join(f"{name},{name[0]}" for name in colours)
    (tmp_path / "identities.csv").write_text(f"image,person\n{people}\n", encoding="utf-8")
    asked: list[str] = []

    def detector(name: str, settings: object) -> BoxDetector:
        asked.append(name)
        return BoxDetector([[10, 10, 90, 90]])

    monkeypatch.setattr("veil.vision.detectors.get_detector", detector)
    monkeypatch.setattr("veil.vision.embeddings.get_embedder", ColourEmbedder)
    seen: list[tuple[int, int]] = []
    report = measure_identities(tmp_path, "mine", lambda done, total: seen.append((done, total)))
    assert asked == ["mine"] and seen == [(n, 5) for n in range(1, 6)]
    assert (report.images, report.usable, report.persons) == (5, 5, 3)
    assert report.to_json() == report.to_dict()
    table, chosen, default = report.text()
    assert isinstance(table, TextTable) and table.numeric
    assert table.title == f"{tmp_path}: 5/5 photos, 3 persons"
    assert [row[0] for row in table.rows] == ["0.01", "0.001", "0.0001"]
    assert table.caption.startswith("test-colour; 2 genuine, 8 impostor pairs")
    assert isinstance(chosen, str) and chosen.startswith("chosen threshold (95% upper bound")
    assert isinstance(default, str) and default.startswith("default threshold ")
