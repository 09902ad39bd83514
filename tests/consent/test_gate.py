"""The consent gate: only faces of subjects with valid consent for the purpose stay visible."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from veil.consent.events import MemorySink
from veil.consent.gate import ConsentGate, GateSettings
from veil.consent.records import ConsentState, utcnow
from veil.consent.registry import ConsentRegistry
from veil.consent.store import TABLE_PREFIX
from veil.vision.detections import Detections
from veil.vision.policy import decide_fail_closed

from .conftest import ACCESS, PURPOSE, ColourEmbedder, colour_vector, scene

RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)


def enrol(
    registry: ConsentRegistry, subject: str, colour: tuple[int, int, int], purpose: str = PURPOSE
) -> None:
    registry.add_templates(subject, purpose, ColourEmbedder.name, colour_vector(colour))


def open_gate(registry: ConsentRegistry, purpose: str = PURPOSE, **settings: object) -> ConsentGate:
    return ConsentGate.open(registry, purpose, ColourEmbedder(), GateSettings(**settings))  # type: ignore[arg-type]


def test_consenting_face_kept_everyone_else_redacted(registry, grant, sink: MemorySink) -> None:
    record = grant("alice")
    enrol(registry, "alice", RED)
    gate = open_gate(registry)
    frame, faces = scene([GREEN, RED, BLUE])
    decisions = gate.decide(frame, faces)
    assert decisions.redact.tolist() == [True, False, True]
    identify = [e for e in sink.events if e.action == "identify"]
    assert len(identify) == 1
    event = identify[0]
    assert event.subject == sink.pseudonym("alice") and "alice" not in event.canonical().decode()
    assert event.consent_ref == record.record_id and event.purpose == PURPOSE
    assert event.separate_consent and event.legal_basis == "consent"


def test_embedding_of_every_face_is_wiped(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    embedder = ColourEmbedder()
    gate = ConsentGate.open(registry, PURPOSE, embedder)
    frame, faces = scene([GREEN, RED])
    decisions = gate.decide(frame, faces)
    assert embedder.last is not None and not embedder.last.any()
    # Nothing in the answer carries a vector or distance: only verdicts and (no) labels.
    assert set(vars(decisions)) == {"redact", "labels"}
    assert decisions.labels == [None, None]


@pytest.mark.parametrize(
    "case", ["expired", "withdrawn", "wrong_purpose", "minor_without_guardian", "unknown_subject"]
)
def test_no_valid_consent_means_redaction(registry, grant, sink: MemorySink, case: str) -> None:
    if case == "expired":
        grant(
            "alice",
            given_at=utcnow() - timedelta(days=10),
            expires_at=utcnow() + timedelta(seconds=1),
        )
        enrol(registry, "alice", RED)
        gate = open_gate(registry)
        gate._now = lambda: utcnow() + timedelta(seconds=5)  # the consent lapses mid-run
    elif case == "withdrawn":
        grant("alice")
        enrol(registry, "alice", RED)
        registry.withdraw(subject="alice")
        gate = open_gate(registry)
    elif case == "wrong_purpose":
        grant("alice", purposes=(ACCESS,))
        enrol(registry, "alice", RED, purpose=ACCESS)
        gate = open_gate(registry, PURPOSE)
    elif case == "minor_without_guardian":
        record = grant("alice")
        enrol(registry, "alice", RED)
        # A record without the guardian's consent for an under-14 subject (e.g. imported from an
        # older system): the registry refuses to create one, and the gate must not trust one.
        minor = record.model_copy(update={"under_14": True})
        with registry.store.transaction() as cur:
            cur.execute(
                f"UPDATE {TABLE_PREFIX}records SET body = ? WHERE record_id = ?",
                (minor.model_dump_json(), record.record_id),
            )
        gate = open_gate(registry)
    else:  # a face resembling an enrolled one, but whose subject has no consent record at all
        gate = open_gate(registry)
    frame, faces = scene([RED, GREEN])
    assert gate.decide(frame, faces).redact.all()
    assert not [e for e in sink.events if e.action == "identify"]


def test_withdrawal_during_a_run_takes_effect(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    ticks = iter(range(0, 10_000, 10))
    gate = ConsentGate.open(registry, PURPOSE, ColourEmbedder(), GateSettings(refresh_seconds=5))
    gate._clock = lambda: float(next(ticks))
    gate._last_refresh = 0.0
    frame, faces = scene([RED])
    assert not gate.decide(frame, faces).redact.any()
    registry.withdraw(subject="alice")
    assert gate.decide(frame, faces).redact.all()


def test_two_faces_matching_one_subject_are_both_redacted(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    frame, faces = scene([RED, RED, GREEN])
    assert open_gate(registry).decide(frame, faces).redact.all()


def test_small_faces_are_redacted_unrecognized(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    frame, faces = scene([RED], size=30)
    embedder = ColourEmbedder()
    gate = ConsentGate.open(registry, PURPOSE, embedder)
    assert gate.decide(frame, faces).redact.all()
    assert embedder.calls == 0


def test_threshold_decides(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    near = (0, 0, 200)  # 55/255 = 0.22 away from the template
    frame, faces = scene([near])
    assert not open_gate(registry, threshold=0.3).decide(frame, faces).redact.any()
    assert open_gate(registry, threshold=0.2).decide(frame, faces).redact.all()


class BrokenSink(MemorySink):
    def append(self, event):  # type: ignore[no-untyped-def]
        raise RuntimeError("ledger unavailable")


def test_unrecordable_identification_fails_closed(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    gate = open_gate(registry)
    gate.sink = BrokenSink()
    frame, faces = scene([RED, GREEN])
    assert decide_fail_closed(gate, frame, faces).redact.all()


def test_embedder_failure_fails_closed(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)

    class Broken(ColourEmbedder):
        def embed(self, frame, detections):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed")

    gate = ConsentGate.open(registry, PURPOSE, Broken())
    frame, faces = scene([RED])
    assert decide_fail_closed(gate, frame, faces).redact.all()


def test_identify_events_are_rate_limited_and_flushed(registry, grant, sink: MemorySink) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    now = [0.0]
    gate = ConsentGate.open(registry, PURPOSE, ColourEmbedder(), GateSettings(event_interval=60))
    gate._clock = lambda: now[0]
    frame, faces = scene([RED])
    for second in range(0, 100, 10):  # ten frames over 100 s: logged at 0 s and 60 s
        now[0] = float(second)
        assert not gate.decide(frame, faces).redact.any()
    gate.close()
    counts = [e.counts["faces"] for e in sink.events if e.action == "identify"]
    assert counts == [1, 6, 3] and sum(counts) == gate.identified == 10


def test_labels_follow_the_policy(registry, grant, sink: MemorySink) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    frame, faces = scene([RED, GREEN])
    assert open_gate(registry, label="subject").decide(frame, faces).labels == ["alice", None]
    labelled = open_gate(registry, label="pseudonym").decide(frame, faces).labels
    assert labelled[0] == sink.pseudonym("alice")[:12] and labelled[1] is None


def test_gate_needs_a_declared_purpose_and_the_master_key(registry, store, sink) -> None:
    from veil.consent.vault import Vault
    from veil.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown purpose"):
        open_gate(registry, "marketing")
    keyless = ConsentRegistry(store, sink, Vault(store, None, key_error="no master key here"))
    with pytest.raises(ConfigError, match="no master key here"):
        ConsentGate.open(keyless, PURPOSE, ColourEmbedder())


def test_expired_templates_are_shredded_when_the_gate_opens(registry, grant) -> None:
    record = grant(
        "alice", given_at=utcnow() - timedelta(days=2), expires_at=utcnow() + timedelta(seconds=2)
    )
    enrol(registry, "alice", RED)
    with registry.store.transaction() as cur:  # let it lapse
        past = record.model_copy(update={"expires_at": utcnow() - timedelta(seconds=1)})
        cur.execute(
            f"UPDATE {TABLE_PREFIX}records SET body = ?, expires_at = ? WHERE record_id = ?",
            (past.model_dump_json(), past.expires_at.isoformat(), record.record_id),
        )
    gate = open_gate(registry)
    assert len(gate.gallery) == 0
    assert registry.vault is not None and registry.vault.count("alice") == 0
    assert registry.get(record.record_id).state is ConsentState.EXPIRED
    assert gate.decide(*scene([RED])).redact.all()


def test_boxes_outside_the_frame_do_not_shift_verdicts(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    frame, faces = scene([GREEN, RED])
    outside = Detections(
        np.vstack([[[-200, -200, -100, -100]], faces.boxes]), np.full(3, 0.9, np.float32)
    )
    assert open_gate(registry).decide(frame, outside).redact.tolist() == [True, True, False]


def test_unmatched_tracks_are_not_embedded_every_frame(registry, grant) -> None:
    grant("alice")
    enrol(registry, "alice", RED)
    embedder = ColourEmbedder()
    gate = ConsentGate.open(registry, PURPOSE, embedder, GateSettings(recheck_frames=3))
    frame, faces = scene([GREEN, RED])
    tracked = faces.with_track_ids(np.array([7, 8]))
    for _ in range(6):
        assert gate.decide(frame, tracked).redact.tolist() == [True, False]
    # Track 7 (no match) is embedded again only every third frame; track 8 (kept) every frame.
    assert embedder.faces == [2, 1, 1, 2, 1, 1]
    # The tracker swaps the two people: the kept verdict does not follow track 8 to a stranger.
    # (Frame 7 is also track 7's recheck, which now finds alice.)
    swapped_frame = scene([RED, GREEN])[0]
    assert gate.decide(swapped_frame, tracked).redact.tolist() == [False, True]
    assert embedder.faces[-1] == 2
    # Between rechecks, alice under an id that recently failed stays redacted (the safe side).
    gate2 = ConsentGate.open(registry, PURPOSE, ColourEmbedder(), GateSettings(recheck_frames=3))
    gate2.decide(frame, tracked)
    assert gate2.decide(swapped_frame, tracked).redact.tolist() == [True, True]


def test_a_minor_without_guardian_is_redacted_until_turning_14(registry, grant, sink) -> None:
    from veil.consent.matching import Gallery

    record = grant("teen", valid_for=timedelta(days=60))
    today = utcnow().date()
    born = (today + timedelta(days=10)).replace(year=today.year - 14)  # 14 in ten days
    teen = record.model_copy(update={"birth_date": born})
    gallery = Gallery.build(colour_vector(RED), [0])
    frame, faces = scene([RED])
    gate = ConsentGate(PURPOSE, [teen], gallery, ColourEmbedder(), sink)
    assert gate.decide(frame, faces).redact.all()
    gate._now = lambda: utcnow() + timedelta(days=12)
    assert not gate.decide(frame, faces).redact.any()
    # The registry never hands a gate such a record: opened today, the gallery stays empty.
    with registry.store.transaction() as cur:
        cur.execute(
            f"UPDATE {TABLE_PREFIX}records SET body = ? WHERE record_id = ?",
            (teen.model_dump_json(), record.record_id),
        )
    assert registry.valid_records(PURPOSE) == []
