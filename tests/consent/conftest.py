"""Fixtures for consent tests: a registry on a temporary SQLite file with an in-memory ledger sink,
and a stand-in detector and embedder so the policy logic is tested without dlib's models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from veil.consent.events import MemorySink
from veil.consent.records import ConsentRecord
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.consent.vault import MasterKey, Vault
from veil.vision.detections import Detections

PURPOSE = "member-greeting"
ACCESS = "access-gate"
CONTROLLER = "Lakeside Residences"


class ColourEmbedder:
    """Embeds a face as its mean colour (scaled to [0, 1]) padded to 128 dimensions: faces drawn
    in the same colour are "the same person", colours 255 apart are far beyond any threshold."""

    name = "test-colour"
    dim = 128

    def __init__(self) -> None:
        self.calls = 0
        self.faces: list[int] = []  # how many faces each call embedded
        self.last: np.ndarray | None = None

    def embed(self, frame: np.ndarray, detections: Detections) -> np.ndarray:
        self.calls += 1
        self.faces.append(len(detections))
        out = np.zeros((len(detections), self.dim), np.float32)
        for i, (x1, y1, x2, y2) in enumerate(detections.boxes.astype(int)):
            patch = frame[y1:y2, x1:x2].reshape(-1, 3)
            out[i, :3] = patch.mean(axis=0) / 255.0
        self.last = out  # the gate must wipe what it was given
        return out


class BoxDetector:
    """Returns fixed boxes (score 0.9) whatever the frame."""

    name = "test-boxes"

    def __init__(self, boxes: list[list[float]]) -> None:
        self.boxes = boxes

    def detect(self, frame: np.ndarray) -> Detections:
        if not self.boxes:
            return Detections.empty()
        return Detections(np.asarray(self.boxes, np.float32), np.full(len(self.boxes), 0.9))


def scene(colours: list[tuple[int, int, int]], size: int = 80) -> tuple[np.ndarray, Detections]:
    """A frame with one square "face" per colour, side by side, and their detections."""
    frame = np.full((size + 40, (size + 20) * len(colours) + 20, 3), 128, np.uint8)
    boxes = []
    for i, colour in enumerate(colours):
        x = 20 + i * (size + 20)
        frame[20 : 20 + size, x : x + size] = colour
        boxes.append([x, 20, x + size, 20 + size])
    return frame, Detections(np.asarray(boxes, np.float32), np.full(len(colours), 0.9))


def colour_vector(colour: tuple[int, int, int]) -> np.ndarray:
    vector = np.zeros((1, 128), np.float32)
    vector[0, :3] = np.asarray(colour, np.float32) / 255.0
    return vector


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "veil.db"


@pytest.fixture
def store(db_path: Path) -> ConsentStore:
    s = ConsentStore(f"sqlite:///{db_path}")
    yield s
    s.close()


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def registry(store: ConsentStore, sink: MemorySink, master: MasterKey) -> ConsentRegistry:
    reg = ConsentRegistry(store, sink, Vault(store, master))
    reg.declare_purpose(PURPOSE, description="greet members by name")
    reg.declare_purpose(ACCESS, access=True, alternative="key card or intercom")
    return reg


@pytest.fixture
def grant(registry: ConsentRegistry) -> Callable[..., ConsentRecord]:
    """Grant a consent with sensible defaults; keyword arguments override them."""

    def make(subject: str, purposes: tuple[str, ...] = (PURPOSE,), **kw: object) -> ConsentRecord:
        fields: dict[str, object] = {
            "subject": subject,
            "controller": CONTROLLER,
            "purposes": purposes,
            "notice_version": "2026-01",
            "notice_digest": notice_digest(b"We recognize members who opt in."),
            "collection_method": "signed form",
            "valid_for": timedelta(days=30),
        }
        fields.update(kw)
        return registry.grant(**fields)  # type: ignore[arg-type]

    return make
