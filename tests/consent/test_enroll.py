"""Enrollment: exactly one face per photo, valid consent, the master key; else nothing changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veil.consent.enroll import EnrollmentError, enroll
from veil.consent.registry import ConsentError, ConsentRegistry
from veil.consent.vault import MasterKeyError, Vault
from veil.errors import MediaError
from veil.media.images import write_image

from .conftest import ACCESS, PURPOSE, BoxDetector, ColourEmbedder

ONE_FACE = [[40, 40, 140, 160]]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    image = np.full((240, 320, 3), 90, np.uint8)
    image[40:160, 40:140] = (10, 200, 30)
    path = tmp_path / "face.png"
    write_image(path, image)
    return path


def unchanged(registry: ConsentRegistry, events_before: int) -> bool:
    assert registry.vault is not None
    return registry.vault.count() == 0 and len(registry.sink.events) == events_before  # type: ignore[attr-defined]


def test_enroll_stores_one_template_per_photo(registry, grant, photo, sink) -> None:
    record = grant("alice")
    result = enroll(
        registry, "alice", PURPOSE, [photo, photo], BoxDetector(ONE_FACE), ColourEmbedder()
    )
    assert result.record.record_id == record.record_id and len(result.template_ids) == 2
    assert sink.events[-1].action == "store" and sink.events[-1].counts == {"templates": 2}
    assert registry.vault is not None
    vectors = [t.vector for t in registry.vault.templates(["alice"])]
    assert np.allclose(vectors[0][:3], np.array([10, 200, 30]) / 255, atol=1e-6)


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([], "no face found"),
        ([[40, 40, 140, 160], [200, 40, 280, 140]], "2 faces found"),
        ([[40, 40, 70, 70]], "too small"),
    ],
)
def test_zero_two_or_tiny_faces_change_nothing(registry, grant, photo, boxes, message) -> None:
    grant("alice")
    before = len(registry.sink.events)
    with pytest.raises(EnrollmentError, match=message):
        # The good photo first: a later bad photo must still leave nothing behind.
        enroll(
            registry,
            "alice",
            PURPOSE,
            [photo, photo],
            _Sequence([ONE_FACE, boxes]),
            ColourEmbedder(),
        )
    assert unchanged(registry, before)


def test_a_tiny_background_face_does_not_count(registry, grant, photo) -> None:
    grant("alice")
    boxes = [*ONE_FACE, [250, 200, 260, 210]]  # 10 px, under 15% of the main face
    assert enroll(
        registry, "alice", PURPOSE, [photo], BoxDetector(boxes), ColourEmbedder()
    ).template_ids


def test_corrupt_photo_changes_nothing(registry, grant, photo, tmp_path: Path) -> None:
    grant("alice")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    before = len(registry.sink.events)
    with pytest.raises(MediaError):
        enroll(registry, "alice", PURPOSE, [photo, bad], BoxDetector(ONE_FACE), ColourEmbedder())
    assert unchanged(registry, before)


def test_missing_master_key_changes_nothing(store, sink, grant, photo, registry) -> None:
    grant("alice")
    keyless = ConsentRegistry(store, sink, Vault(store, None, key_error="no master key at /x"))
    before = len(sink.events)
    with pytest.raises(MasterKeyError, match="no master key at /x"):
        enroll(keyless, "alice", PURPOSE, [photo], BoxDetector(ONE_FACE), ColourEmbedder())
    assert unchanged(registry, before)


def test_enroll_refused_without_valid_consent(registry, grant, photo) -> None:
    before = len(registry.sink.events)
    with pytest.raises(ConsentError, match="no consent recorded"):
        enroll(registry, "bob", PURPOSE, [photo], BoxDetector(ONE_FACE), ColourEmbedder())
    grant("bob", purposes=(ACCESS,))
    before = len(registry.sink.events)
    with pytest.raises(ConsentError, match="wrong purpose"):
        enroll(registry, "bob", PURPOSE, [photo], BoxDetector(ONE_FACE), ColourEmbedder())
    assert unchanged(registry, before)
    with pytest.raises(EnrollmentError, match="at least one photo"):
        enroll(registry, "bob", ACCESS, [], BoxDetector(ONE_FACE), ColourEmbedder())


class _Sequence:
    """A detector answering each call with the next list of boxes."""

    name = "test-sequence"

    def __init__(self, answers: list[list[list[float]]]) -> None:
        self.answers = list(answers)

    def detect(self, frame: np.ndarray):  # type: ignore[no-untyped-def]
        return BoxDetector(self.answers.pop(0)).detect(frame)


def test_enroll_photos_is_what_veil_consent_enroll_prints(
    registry: ConsentRegistry, grant, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veil.consent.enroll import EnrollRequest, enroll_photos

    asked: list[str] = []
    monkeypatch.setattr(
        "veil.vision.detectors.get_detector",
        lambda name, settings: asked.append(name) or BoxDetector(ONE_FACE),
    )
    monkeypatch.setattr("veil.vision.embeddings.get_embedder", ColourEmbedder)
    record = grant("alice")
    result = enroll_photos(registry, EnrollRequest("alice", PURPOSE, (photo,), "mine"))
    assert asked == ["mine"]
    assert result.to_json() == {"record": record.record_id, "subject": "alice",
                                "purpose": PURPOSE, "templates": 1, "photos": [str(photo)]}  # fmt: skip
    assert result.text() == [f"1 template(s) stored for alice under consent {record.record_id}"]
