"""C2SP tlog-witness semantics: cosign consistent checkpoints, refuse the rest with the spec's
status codes, keep inconsistent checkpoints as split-view evidence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import make_event
from veil.errors import ConfigError
from veil.ledger import Ledger
from veil.ledger.note import Checkpoint, Signer, sign_checkpoint, verify_checkpoint
from veil.ledger.witness import AddCheckpointRequest, Witness, WitnessError, parse_request


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Ledger, Witness]]:
    led = Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "keys", origin="log.example")
    w = Witness.create(tmp_path / "w", "witness.example")
    w.add_log(led.vkey)
    yield led, w
    led.close()


def test_cosigns_a_consistent_history(setup: tuple[Ledger, Witness]) -> None:
    led, w = setup
    led.append_many([make_event(i) for i in range(5)])
    note1 = led.checkpoint([w])
    assert verify_checkpoint(note1, led.verifier, [w.signer.verifier()]).cosigned_by
    led.append_many([make_event(i) for i in range(5, 12)])
    note2 = led.checkpoint([w])
    signed = verify_checkpoint(note2, led.verifier, [w.signer.verifier()])
    assert signed.checkpoint.size == 12 and "witness.example" in signed.cosigned_by
    assert w.latest("log.example") == (12, led.head().root)
    assert w.evidence() == []


def _request(led: Ledger, old: int) -> str:
    return led.witness_request(old)


def test_stale_old_size_is_409_with_the_latest_size(setup: tuple[Ledger, Witness]) -> None:
    led, w = setup
    led.append_many([make_event(i) for i in range(4)])
    led.checkpoint([w])
    led.append(make_event(9))
    led.checkpoint()
    with pytest.raises(WitnessError) as err:
        w.add_checkpoint(_request(led, 0))
    assert err.value.status == 409 and err.value.latest_size == 4
    w.add_checkpoint(_request(led, 4))  # the client retries from the size it was told


def test_inconsistent_checkpoint_is_422_and_kept_as_evidence(
    setup: tuple[Ledger, Witness], tmp_path: Path
) -> None:
    led, w = setup
    led.append_many([make_event(i) for i in range(6)])
    led.checkpoint([w])
    # the same log key signs a forked tree: another history of size 8
    fork = Ledger.open(f"sqlite:///{tmp_path / 'fork.db'}", tmp_path / "fork-keys")
    fork.append_many([make_event(100 + i) for i in range(8)])
    forked_note = sign_checkpoint(Checkpoint("log.example", 8, fork.head().root), led.keys.signer)
    proof = fork.log.consistency_proof(6, 8)
    body = AddCheckpointRequest(6, tuple(proof), forked_note).render()
    with pytest.raises(WitnessError) as err:
        w.add_checkpoint(body)
    assert err.value.status == 422
    evidence = w.evidence()
    assert len(evidence) == 1 and evidence[0]["origin"] == "log.example"
    assert forked_note in evidence[0]["request"]
    assert w.latest("log.example")[0] == 6  # state unchanged
    fork.close()


def test_same_size_other_root_is_409_and_evidence(setup: tuple[Ledger, Witness]) -> None:
    led, w = setup
    led.append_many([make_event(i) for i in range(3)])
    led.checkpoint([w])
    other = sign_checkpoint(Checkpoint("log.example", 3, b"\x05" * 32), led.keys.signer)
    with pytest.raises(WitnessError) as err:
        w.add_checkpoint(AddCheckpointRequest(3, (), other).render())
    assert err.value.status == 409 and len(w.evidence()) == 1


def test_statuses_for_bad_requests(setup: tuple[Ledger, Witness]) -> None:
    led, w = setup
    led.append_many([make_event(i) for i in range(3)])
    led.checkpoint()
    good = _request(led, 0)
    stranger = Signer.generate("stranger.example")
    unknown = sign_checkpoint(Checkpoint("stranger.example", 1, b"\x01" * 32), stranger)
    cases = {
        400: [
            "nonsense",
            good.replace("old 0", "old 00"),
            good.replace("old 0", "old 5"),  # larger than the checkpoint
            "old 0\nnot-base64!\n\n" + good.split("\n\n", 1)[1],
            b"\xff\xfe",
        ],
        403: [sign_checkpoint(Checkpoint("log.example", 3, led.head().root), stranger)],
        404: ["old 0\n\n" + unknown],
    }
    for status, bodies in cases.items():
        for body in bodies:
            if status == 403:
                body = "old 0\n\n" + str(body).replace("stranger.example", "log.example", 1)
            with pytest.raises(WitnessError) as err:
                w.add_checkpoint(body)
            assert err.value.status == status, (body, err.value)
    # a non-empty proof from size 0 does not verify
    proof_line = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    with pytest.raises(WitnessError) as err:
        w.add_checkpoint(good.replace("old 0\n", "old 0\n" + proof_line))
    assert err.value.status == 422
    assert w.latest("log.example") == (0, None)


def test_request_format_round_trips() -> None:
    req = AddCheckpointRequest(7, (b"\x01" * 32, b"\x02" * 32), "x\n1\n" + "A" * 44 + "\n\n")
    assert parse_request(req.render()) == req
    with pytest.raises(WitnessError):
        parse_request("old 1\n" + "AQ==\n" * 64 + "\n" + req.checkpoint_note)


def test_witness_setup_errors(tmp_path: Path, setup: tuple[Ledger, Witness]) -> None:
    _, w = setup
    with pytest.raises(ConfigError):
        Witness.create(w.folder, "again")
    with pytest.raises(ConfigError):
        Witness.open(tmp_path / "nowhere")
    with pytest.raises(ConfigError):
        w.add_log("not a key")
    other = Signer.generate("log.example")
    with pytest.raises(ConfigError, match="another key"):
        w.add_log(other.verifier().vkey)


def test_a_witness_cosigns_each_checkpoint_once(setup: tuple[Ledger, Witness]) -> None:
    led, w = setup
    e = make_event(1)
    led.append(e)
    led.prove(e.id, [w])
    led.prove(e.id, [w])
    cp = led.latest_checkpoint()
    assert cp is not None and len(cp.cosignatures) == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_request_parser_never_crashes(body: bytes | str) -> None:
    with contextlib.suppress(WitnessError):
        parse_request(body)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_tlog_proof_parser_never_crashes(text: str) -> None:
    from veil.ledger.proofs import BundleError, parse_tlog_proof

    with contextlib.suppress(BundleError):
        parse_tlog_proof("c2sp.org/tlog-proof@v1\n" + text)
