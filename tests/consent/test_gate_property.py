"""Property: whatever the mix of consents and faces, a face is kept only when its subject holds a
valid consent for the gate's purpose and shows up once in the frame; everyone else is redacted."""

from __future__ import annotations

import itertools
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from veil.consent.events import MemorySink
from veil.consent.gate import ConsentGate
from veil.consent.records import utcnow
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.consent.vault import MasterKey, Vault

from .conftest import ColourEmbedder, colour_vector, scene

# Eight colours at least 170/255 = 0.67 apart: well beyond the default threshold (0.56).
COLOURS = list(itertools.product((0, 170), repeat=3))
STATES = ("valid", "withdrawn", "wrong_purpose", "expired", "no_consent")


@settings(max_examples=25, deadline=None)
@given(
    states=st.lists(st.sampled_from(STATES), min_size=1, max_size=6),
    faces=st.lists(st.integers(0, 7), min_size=1, max_size=5),
)
def test_only_valid_unique_subjects_are_kept(states: list[str], faces: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = ConsentStore(f"sqlite:///{Path(folder) / 'veil.db'}")
        try:
            sink = MemorySink()
            registry = ConsentRegistry(store, sink, Vault(store, MasterKey.generate()))
            registry.declare_purpose("greet")
            registry.declare_purpose("other")
            now = utcnow()
            for i, state in enumerate(states):
                if state == "no_consent":
                    continue
                record = registry.grant(
                    subject=f"s{i}",
                    controller="Shop",
                    purposes=["other" if state == "wrong_purpose" else "greet"],
                    notice_version="v1",
                    notice_digest=notice_digest(b"n"),
                    collection_method="app",
                    given_at=now - timedelta(days=1),
                    expires_at=now
                    + (timedelta(seconds=1) if state == "expired" else timedelta(days=1)),
                )
                purpose = "other" if state == "wrong_purpose" else "greet"
                registry.add_templates(
                    f"s{i}", purpose, ColourEmbedder.name, colour_vector(COLOURS[i])
                )
                if state == "withdrawn":
                    registry.withdraw(record.record_id)
                if state == "expired":
                    registry.expire_due(now + timedelta(seconds=2))
            gate = ConsentGate.open(registry, "greet", ColourEmbedder())
            frame, detections = scene([COLOURS[c] for c in faces])
            decisions = gate.decide(frame, detections)
            for position, colour_index in enumerate(faces):
                valid = colour_index < len(states) and states[colour_index] == "valid"
                unique = faces.count(colour_index) == 1
                assert decisions.redact[position] == (not (valid and unique))
            kept = int((~decisions.redact).sum())
            assert sum(e.counts["faces"] for e in sink.events if e.action == "identify") == kept
        finally:
            store.close()
