"""TAR at fixed FAR and the chosen threshold: pure functions on distances, and the CLI on data."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from veil.consent.evaluation import (
    at_threshold,
    chosen_point,
    far_upper_bound,
    operating_point,
    pair_distances,
    read_identities,
)
from veil.errors import BadInputError


def test_operating_point_accepts_at_most_the_allowed_impostors() -> None:
    impostor = np.linspace(0.5, 1.5, 1000)
    genuine = np.linspace(0.1, 0.7, 100)
    point = operating_point(genuine, impostor, 1e-2)
    assert point.false_accepts == 10 and point.far == 0.01 and point.resolved
    assert point.tar == pytest.approx(np.mean(genuine < point.threshold))
    strict = operating_point(genuine, impostor, 1e-4)
    assert strict.false_accepts == 0 and not strict.resolved
    assert strict.threshold == impostor.min()


def test_upper_bound_and_chosen_threshold() -> None:
    # Zero false accepts in n trials: the 95% bound is about 3/n (the rule of three).
    assert far_upper_bound(0, 10_000) == pytest.approx(3.0 / 10_000, rel=0.01)
    assert far_upper_bound(3, 7959) < 1e-3 < far_upper_bound(4, 7959)
    impostor = np.linspace(0.5, 1.5, 7959)
    chosen = chosen_point(np.array([0.3, 0.55]), impostor)
    assert chosen.false_accepts == 3 and chosen.threshold == impostor[3]
    assert chosen.threshold < operating_point([0.3], impostor, 1e-3).threshold


def test_pair_distances_split_genuine_and_impostor() -> None:
    vectors = np.array([[0, 0], [0, 1], [3, 0]], np.float32)
    genuine, impostor = pair_distances(vectors, ["a", "a", "b"])
    assert genuine.tolist() == [1.0]
    assert impostor.tolist() == pytest.approx([3.0, math.sqrt(10)])
    assert at_threshold(genuine, impostor, 3.1, 1e-3).false_accepts == 1


def test_read_identities(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "identities.csv").write_text("image,person\nx.jpg,p1\ny.jpg,p2\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "identities.csv").write_text("image,person\nz.jpg,p1\n")
    items = read_identities(tmp_path)
    assert [i.person for i in items] == ["a/p1", "a/p2", "b/p1"]  # kept apart per csv
    assert items[0].path == tmp_path / "a" / "x.jpg"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "identities.csv").write_text("file,who\nx,y\n")
    with pytest.raises(BadInputError, match="image,person"):
        read_identities(tmp_path / "c")
    with pytest.raises(BadInputError, match="no such"):
        read_identities(tmp_path / "missing")


@pytest.mark.shared_data
def test_eval_identities_cli() -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    folder = shared_data("faces", "identities", "face_recognition")
    result = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "eval", "identities", str(folder), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [p["far_target"] for p in report["points"]] == [0.01, 0.001, 0.0001]
    assert report["usable"] >= 14 and report["genuine_pairs"] > 0
    assert report["default"]["far"] <= 1e-3
    assert report["chosen_threshold"] <= report["points"][1]["threshold"]
