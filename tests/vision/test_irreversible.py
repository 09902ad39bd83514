"""Redaction is irreversible: a face recognizer no longer matches redacted faces to the originals.

dlib's 128-d ResNet (face-recognition-models) calls two faces the same person below a distance of
0.6. Each face is embedded at the landmarks found on the original (the attacker knows where the
face was), before and after redaction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from veil.media.images import read_image
from veil.vision.detectors import get_detector
from veil.vision.redact import RedactionMode, RedactionSettings, redact_faces

SAME_PERSON = 0.6

dlib = pytest.importorskip("dlib")
models = pytest.importorskip("face_recognition_models")


@pytest.fixture(scope="module")
def embed() -> object:
    predictor = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    recognizer = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def embed_at(
        bgr: np.ndarray, box: np.ndarray, shape: object = None
    ) -> tuple[np.ndarray, object]:
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        if shape is None:
            rect = dlib.rectangle(*(int(v) for v in box))
            shape = predictor(rgb, rect)
        return np.asarray(recognizer.compute_face_descriptor(rgb, shape)), shape

    return embed_at


def distances_after_redaction(image: np.ndarray, embed: object, mode: RedactionMode) -> list[float]:
    faces = get_detector("centerface").detect(image)
    faces = faces[(faces.widths >= 40) & (faces.scores >= 0.5)]  # faces big enough to recognise
    assert len(faces), "no recognisable face in the test image"
    redacted = redact_faces(image.copy(), faces, RedactionSettings(mode=mode))
    distances = []
    for box in faces.boxes:
        original, shape = embed(image, box)  # type: ignore[operator]
        hidden, _ = embed(redacted, box, shape)  # type: ignore[operator]
        distances.append(float(np.linalg.norm(original - hidden)))
    return distances


@pytest.mark.parametrize("mode", [RedactionMode.BLUR, RedactionMode.PIXELATE, RedactionMode.SOLID])
def test_redacted_astronaut_no_longer_matches(
    astronaut_bgr: np.ndarray, embed: object, mode: RedactionMode
) -> None:
    assert min(distances_after_redaction(astronaut_bgr, embed, mode)) > SAME_PERSON


def test_large_faces_of_real_people_no_longer_match(embed: object) -> None:
    folder = shared_data("faces", "identities", "deepface", "tests", "unit", "dataset")
    photos = sorted(folder.glob("img*.jpg"))[:12]
    distances: list[float] = []
    for path in photos:
        distances += distances_after_redaction(
            read_image(Path(path)).pixels, embed, RedactionMode.BLUR
        )
    assert len(distances) >= 10
    assert min(distances) > SAME_PERSON, sorted(distances)[:5]
