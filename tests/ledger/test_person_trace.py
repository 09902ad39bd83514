"""A person's trace (their entries only, each with a verifying tlog-proof) and read events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.ledger import Ledger
from veil.ledger.events import EventError
from veil.ledger.note import parse_vkey
from veil.ledger.person_trace import person_trace, read_event
from veil.ledger.proofs import verify_bundle, verify_tlog_proof
from veil.ledger.witness import Witness


def _witness(ledger: Ledger, folder: Path) -> Witness:
    w = Witness.create(folder, "w1.example")
    w.add_log(ledger.vkey)
    return w


def _populate(ledger: Ledger) -> tuple[str, str, set[int], set[int]]:
    a, b = ledger.pseudonym("person-a"), ledger.pseudonym("person-b")
    events = [make_event(i, subject=(a, b, None)[i % 3]) for i in range(30)]
    indexes = ledger.append_many(events)
    mine_a = {i for i, e in zip(indexes, events, strict=True) if e.subject == a}
    mine_b = {i for i, e in zip(indexes, events, strict=True) if e.subject == b}
    return a, b, mine_a, mine_b


def test_trace_holds_exactly_the_persons_entries_and_every_proof_verifies(
    ledger: Ledger, tmp_path: Path
) -> None:
    w = _witness(ledger, tmp_path / "w")
    a, b, mine_a, mine_b = _populate(ledger)
    ledger.checkpoint([w])
    wkey = parse_vkey(w.vkey)
    trace = person_trace(ledger, a)
    assert {e.index for e in trace.entries} == mine_a
    assert not trace.pending
    assert trace.checkpoint is not None and trace.checkpoint.witnesses == ("w1.example",)
    assert trace.checkpoint.size == 30
    for entry in trace.entries:
        assert entry.event["subject"] == a
        assert entry.index not in mine_b
        assert entry.tlog_proof is not None
        cp, cosigned, leaf = verify_tlog_proof(entry.tlog_proof, ledger.verifier, [wkey], 1)
        assert cp.size == 30 and "w1.example" in cosigned
        assert leaf == ledger.store.get_leaf(entry.index).data  # type: ignore[union-attr]
    result = verify_bundle(trace.bundle(), ledger.verifier, [wkey])
    assert {p.index for p in result.entries} == mine_a
    assert {e.index for e in person_trace(ledger, b).entries} == mine_b


def test_trace_proves_against_the_latest_cosigned_checkpoint_only(
    ledger: Ledger, tmp_path: Path
) -> None:
    w = _witness(ledger, tmp_path / "w")
    a, _, mine_a, _ = _populate(ledger)
    ledger.checkpoint([w])  # size 30, cosigned
    later = ledger.append(make_event(99, subject=a))
    ledger.checkpoint()  # size 31, signed by the log alone: not shown to the person
    trace = person_trace(ledger, a)
    assert trace.checkpoint is not None and trace.checkpoint.size == 30
    assert {e.index for e in trace.entries} == mine_a
    assert [e.index for e in trace.pending] == [later]
    assert trace.pending[0].tlog_proof is None


def test_no_cosigned_checkpoint_means_nothing_is_proved_yet(ledger: Ledger) -> None:
    a, _, mine_a, _ = _populate(ledger)
    ledger.checkpoint()
    trace = person_trace(ledger, a)
    assert trace.checkpoint is None and not trace.entries
    assert {e.index for e in trace.pending} == mine_a
    assert person_trace(ledger, ledger.pseudonym("nobody")).pending == ()


def test_trace_uses_the_subject_index_not_a_scan(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _witness(ledger, tmp_path / "w")
    a, _, mine_a, _ = _populate(ledger)
    ledger.checkpoint([w])

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("person_trace scanned the whole log")

    monkeypatch.setattr(ledger.store, "iter_leaves", no_scan)
    monkeypatch.setattr(ledger.log, "iter_leaves", no_scan)
    assert {e.index for e in person_trace(ledger, a).entries} == mine_a


def test_a_bad_pseudonym_is_refused(ledger: Ledger) -> None:
    with pytest.raises(EventError):
        person_trace(ledger, "person-a")


def test_reads_by_operators_and_auditors_appear_in_the_persons_trace(
    ledger: Ledger, tmp_path: Path
) -> None:
    w = _witness(ledger, tmp_path / "w")
    a, b, _, _ = _populate(ledger)
    auditor = ledger.pseudonym("account:alice-auditor")
    used = ledger.append(read_event(ledger, "auditor", auditor, a, "use", counts={"records": 3}))
    operator = ledger.pseudonym("account:op")
    exported = ledger.append(read_event(ledger, "operator", operator, a, "export"))
    ledger.checkpoint([w])
    trace = person_trace(ledger, a)
    by_index = {e.index: e.event for e in trace.entries}
    assert by_index[used]["action"] == "use"
    assert by_index[used]["system"] == "veil-service/auditor"
    assert by_index[used]["digests"] == {"reader": "sha256:" + auditor}
    assert by_index[used]["counts"] == {"records": 3}
    assert by_index[exported]["action"] == "export"
    assert by_index[exported]["system"] == "veil-service/operator"
    text = str(by_index[used]) + str(by_index[exported])
    assert "alice" not in text and "person-a" not in text  # no raw identifier in the events
    assert used not in {e.index for e in person_trace(ledger, b).entries}


@pytest.mark.parametrize(
    ("role", "reader", "action"),
    [
        ("person", "0" * 64, "use"),
        ("auditor", "alice", "use"),
        ("auditor", "0" * 64, "delete"),
    ],
)
def test_read_event_refuses_bad_input(ledger: Ledger, role: str, reader: str, action: str) -> None:
    a = ledger.pseudonym("person-a")
    with pytest.raises(EventError):
        ledger.append(read_event(ledger, role, reader, a, action))  # type: ignore[arg-type]
    assert ledger.head().size == 0
