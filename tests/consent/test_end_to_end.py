"""End to end with dlib's model and the real ledger: in a group photo the enrolled person stays
visible and everyone else is redacted; after withdrawal the person is redacted too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
pytest.importorskip("dlib", reason="dlib not installed")

from tests.conftest import shared_data
from veil.consent.enroll import enroll
from veil.consent.gate import ConsentGate
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.consent.vault import MasterKey, Vault
from veil.media.images import read_image, write_image
from veil.pipeline import AnonymizeOptions, Anonymizer, FrameReport
from veil.vision.detectors import get_detector
from veil.vision.embeddings import get_embedder

PURPOSE = "member-greeting"


@pytest.fixture(scope="module")
def knn() -> Path:
    return shared_data("faces", "identities", "face_recognition", "examples", "knn_examples")


def group_photo(paths: list[Path], height: int = 360) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Photos of different people side by side; returns the image and each tile's x range."""
    import cv2

    tiles, spans, x = [], [], 0
    for path in paths:
        image = read_image(path).pixels
        tile = cv2.resize(image, (round(image.shape[1] * height / image.shape[0]), height))
        tiles.append(tile)
        spans.append((x, x + tile.shape[1]))
        x += tile.shape[1]
    return np.ascontiguousarray(np.hstack(tiles)), spans


def run(gate: ConsentGate, source: Path, target: Path) -> FrameReport:
    reports: list[FrameReport] = []
    anonymizer = Anonymizer(AnonymizeOptions(overwrite=True), policy=gate, observer=reports.append)
    anonymizer.anonymize_image(source, target)
    (report,) = reports
    return report


def test_enrolled_person_visible_others_redacted_then_withdrawn(tmp_path: Path, knn: Path) -> None:
    from veil.ledger import Ledger

    url = f"sqlite:///{tmp_path / 'veil.db'}"
    ledger = Ledger.open(url, key_dir=tmp_path / "keys")
    store = ConsentStore(url)
    try:
        registry = ConsentRegistry(store, ledger, Vault(store, MasterKey.generate()))
        registry.declare_purpose(PURPOSE)
        record = registry.grant(
            subject="member-7",
            controller="Corner Shop",
            purposes=[PURPOSE],
            notice_version="v1",
            notice_digest=notice_digest(b"notice"),
            collection_method="in-store tablet",
            valid_for=timedelta(days=30),
        )
        detector, embedder = get_detector("centerface"), get_embedder()
        train = [knn / "train" / "obama" / "obama.jpg", knn / "train" / "obama" / "obama2.jpg"]
        enroll(registry, "member-7", PURPOSE, train, detector, embedder)

        people = [
            knn / "train" / "biden" / "biden.jpg",
            knn / "test" / "obama1.jpg",  # not an enrollment photo
            knn / "train" / "alex_lacamoire" / "img1.jpg",
            knn / "train" / "rose_leslie" / "img1.jpg",
        ]
        image, spans = group_photo(people)
        source = tmp_path / "group.png"
        write_image(source, image)

        gate = ConsentGate.open(registry, PURPOSE, embedder)
        report = run(gate, source, tmp_path / "out.png")
        gate.close()
        centres = (report.faces.boxes[:, 0] + report.faces.boxes[:, 2]) / 2
        tile = np.searchsorted([s[1] for s in spans], centres, side="right")
        assert sorted(set(tile.tolist())) == [0, 1, 2, 3]  # every person's face was found
        kept = ~report.decisions.redact
        assert kept.sum() == 1 and tile[kept].tolist() == [1]
        out = read_image(tmp_path / "out.png").pixels
        for box, keep in zip(report.faces.boxes.astype(int), kept, strict=True):
            x1, y1, x2, y2 = box
            changed = np.abs(out[y1:y2, x1:x2].astype(int) - image[y1:y2, x1:x2].astype(int)).mean()
            assert (changed == 0) if keep else (changed > 5)

        pseudonym = ledger.pseudonym("member-7")
        actions = [e.action for e in ledger.events_for_subject(pseudonym)]
        assert actions == ["consent_granted", "store", "identify"]

        registry.withdraw(record.record_id)
        gate = ConsentGate.open(registry, PURPOSE, embedder)
        assert len(gate.gallery) == 0
        report = run(gate, source, tmp_path / "out2.png")
        assert len(report.faces) >= 4 and report.decisions.redact.all()
        actions = [e.action for e in ledger.events_for_subject(pseudonym)]
        assert actions == ["consent_granted", "store", "identify", "consent_withdrawn"]
    finally:
        store.close()
        ledger.close()


def test_real_group_photo(tmp_path: Path, knn: Path) -> None:
    from veil.consent.events import MemorySink

    store = ConsentStore(f"sqlite:///{tmp_path / 'veil.db'}")
    try:
        registry = ConsentRegistry(store, MemorySink(), Vault(store, MasterKey.generate()))
        registry.declare_purpose(PURPOSE)
        registry.grant(
            subject="member-7",
            controller="Corner Shop",
            purposes=[PURPOSE],
            notice_version="v1",
            notice_digest=notice_digest(b"notice"),
            collection_method="app",
        )
        embedder = get_embedder()
        enroll(
            registry,
            "member-7",
            PURPOSE,
            [knn / "train" / "obama" / "obama.jpg"],
            get_detector("centerface"),
            embedder,
        )
        report = run(
            ConsentGate.open(registry, PURPOSE, embedder),
            knn / "test" / "obama_and_biden.jpg",
            tmp_path / "out.jpg",
        )
        assert len(report.faces) >= 2 and (~report.decisions.redact).sum() == 1
        # Obama stands right of Biden in this photo.
        kept = report.faces.boxes[~report.decisions.redact][0]
        others = report.faces.boxes[report.decisions.redact]
        biden = others[np.argmax(others[:, 3] - others[:, 1])]
        assert kept[0] > biden[2]
    finally:
        store.close()
