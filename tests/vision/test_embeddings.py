"""dlib's ResNet embedder: same face close, different faces far, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
pytest.importorskip("dlib", reason="dlib not installed")

from tests.conftest import shared_data
from veil.consent.evaluation import largest_face
from veil.consent.matching import DEFAULT_THRESHOLD
from veil.errors import ConfigError, DetectionError
from veil.media.images import read_image
from veil.vision.detections import Detections
from veil.vision.detectors import get_detector
from veil.vision.embeddings import DlibResNetEmbedder, get_embedder


@pytest.fixture(scope="module")
def embedder() -> DlibResNetEmbedder:
    e = get_embedder()
    assert isinstance(e, DlibResNetEmbedder)
    return e


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    return get_detector("centerface")


def embed_largest(frame: np.ndarray, detector, embedder) -> np.ndarray:  # type: ignore[no-untyped-def]
    face = largest_face(detector.detect(frame))
    assert len(face) == 1
    return embedder.embed(frame, face)[0]


def test_same_face_moved_and_rescaled_stays_close(astronaut_bgr, detector, embedder) -> None:
    import cv2

    a = embed_largest(astronaut_bgr, detector, embedder)
    assert a.shape == (128,) and a.dtype == np.float32 and np.isfinite(a).all()
    moved = cv2.resize(astronaut_bgr[20:, 30:], None, fx=0.7, fy=0.7)
    b = embed_largest(np.ascontiguousarray(moved), detector, embedder)
    assert np.linalg.norm(a - b) < DEFAULT_THRESHOLD / 2


def test_different_people_are_far(astronaut_bgr, detector, embedder) -> None:
    root = shared_data("faces", "identities", "face_recognition", "examples", "knn_examples")
    astronaut = embed_largest(astronaut_bgr, detector, embedder)
    obama = embed_largest(
        read_image(root / "train" / "obama" / "obama.jpg").pixels, detector, embedder
    )
    obama2 = embed_largest(read_image(root / "test" / "obama1.jpg").pixels, detector, embedder)
    biden = embed_largest(
        read_image(root / "train" / "biden" / "biden.jpg").pixels, detector, embedder
    )
    assert np.linalg.norm(obama - obama2) < DEFAULT_THRESHOLD
    for other in (astronaut, biden):
        assert np.linalg.norm(obama - other) > DEFAULT_THRESHOLD


def test_batch_matches_single_and_chips(astronaut_bgr, detector, embedder) -> None:
    faces = largest_face(detector.detect(astronaut_bgr))
    two = Detections.concatenate([faces, faces])
    batch = embedder.embed(astronaut_bgr, two)
    assert batch.shape == (2, 128) and np.allclose(batch[0], batch[1])
    assert embedder.embed(astronaut_bgr, Detections.empty()).shape == (0, 128)
    (chip,) = embedder.chips(astronaut_bgr, faces)
    assert chip.shape == (150, 150, 3)
    assert np.linalg.norm(embedder.embed_chip(chip)[0] - batch[0]) < 0.1


def test_bad_input(embedder, monkeypatch, tmp_path) -> None:
    with pytest.raises(DetectionError, match="BGR uint8"):
        embedder.embed(np.zeros((10, 10), np.uint8), Detections(np.array([[0, 0, 5, 5]]), [0.9]))
    with pytest.raises(DetectionError, match="150x150"):
        embedder.embed_chip(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(ConfigError, match="unknown face embedder"):
        get_embedder("facenet")
    monkeypatch.setenv("VEIL_DLIB_MODELS", str(tmp_path))
    with pytest.raises(ConfigError, match="not found"):
        DlibResNetEmbedder()
