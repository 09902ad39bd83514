"""Offline proofs: prove/trace bundles (c2sp.org/tlog-proof inside) verify with no database under
an N-of-M witness policy; forged or malformed bundles are rejected with clear errors."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import make_event
from veil.errors import BadInputError, VeilError
from veil.ledger import Ledger
from veil.ledger.merkle import leaf_hash, root_from_leaves
from veil.ledger.note import parse_vkey
from veil.ledger.proofs import (
    BundleError,
    TlogProof,
    bare_tlog_proof,
    parse_tlog_proof,
    verify_bundle,
)
from veil.ledger.witness import Witness


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    led = Ledger.open(db_url, tmp_path / "keys", origin="log.example")
    ws = [Witness.create(tmp_path / f"w{i}", f"w{i}.example") for i in range(3)]
    for w in ws:
        w.add_log(led.vkey)
    alice, bob = led.pseudonym("alice"), led.pseudonym("bob")
    events = [make_event(i, subject=alice if i in (1, 4, 9) else bob) for i in range(12)]
    led.append_many(events)
    yield {"led": led, "ws": ws, "alice": alice, "events": events}
    led.close()


def _keys(ws: list[Witness]) -> list[Any]:
    return [parse_vkey(w.vkey) for w in ws]


def test_trace_bundle_verifies_offline_with_two_of_three(world: dict[str, Any]) -> None:
    led, ws = world["led"], world["ws"]
    bundle = led.trace(world["alice"], ws[:2])
    result = verify_bundle(bundle, led.verifier, _keys(ws), min_witnesses=2)
    assert [e.index for e in result.entries] == [1, 4, 9]
    assert [e.event.id for e in result.entries] == [world["events"][i].id for i in (1, 4, 9)]
    assert set(result.cosigned_by) == {"w0.example", "w1.example"}
    assert result.checkpoint.size == 12 and result.subject == world["alice"]
    with pytest.raises(BundleError, match="2 of the required 3"):
        verify_bundle(bundle, led.verifier, _keys(ws), min_witnesses=3)
    with pytest.raises(BundleError, match="policy"):
        verify_bundle(bundle, led.verifier, _keys(ws))  # default: all given witnesses
    verify_bundle(bundle, led.verifier)  # no witness policy: the log signature alone


def test_event_bundle_and_its_tlog_proof_are_standard(world: dict[str, Any]) -> None:
    led, ev = world["led"], world["events"][7]
    doc = json.loads(led.prove(ev.id))
    (entry,) = doc["entries"]
    proof = parse_tlog_proof(entry["tlog_proof"])
    assert entry["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\nextra ")
    assert proof.extra == ev.canonical() and proof.index == 7
    # an independent check from the text alone: walk the path by hand to the signed root
    from veil.ledger.merkle import root_from_inclusion_proof

    cp_root = base64.b64decode(proof.checkpoint_note.split("\n")[2])
    assert root_from_inclusion_proof(7, 12, leaf_hash(ev.canonical()), proof.hashes) == cp_root
    assert cp_root == root_from_leaves([e.canonical() for e in world["events"]])
    assert (
        TlogProof(7, proof.hashes, proof.checkpoint_note, proof.extra).render()
        == entry["tlog_proof"]
    )


def test_unknown_event_or_subject(world: dict[str, Any]) -> None:
    led = world["led"]
    with pytest.raises(BadInputError, match="no event"):
        led.prove(make_event(99).id)
    with pytest.raises(BadInputError):
        led.prove("not-a-uuid")
    with pytest.raises(BadInputError, match="no event about"):
        led.trace(led.pseudonym("carol"))


def _mutations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []

    def variant(name: str, fn: Any) -> None:
        d = json.loads(json.dumps(doc))
        fn(d)
        out.append((name, d))

    def edit_proof(d: dict[str, Any], old: str, new: str) -> None:
        d["entries"][0]["tlog_proof"] = d["entries"][0]["tlog_proof"].replace(old, new, 1)

    first = doc["entries"][0]["tlog_proof"].split("\n")
    variant("readable event edited", lambda d: d["entries"][0]["event"].update(purpose="x"))
    variant("index edited", lambda d: d["entries"][0].update(index=5))
    variant("proof index edited", lambda d: edit_proof(d, "index 1\n", "index 2\n"))
    variant("proof hash swapped", lambda d: edit_proof(d, first[3], first[4]))
    variant("proof hash dropped", lambda d: edit_proof(d, first[3] + "\n", ""))
    variant("extra bytes edited", lambda d: edit_proof(d, first[1], first[1][:-8] + "AAAAAAA="))
    variant("checkpoint size edited", lambda d: edit_proof(d, "\n12\n", "\n13\n"))
    variant("log signature removed", lambda d: edit_proof(d, "\u2014 log.example", "\u2014 x"))
    variant("wrong header", lambda d: edit_proof(d, "@v1", "@v2"))
    variant("duplicate entry", lambda d: d["entries"].append(d["entries"][0]))
    variant("subject changed", lambda d: d.update(subject="0" * 64))
    variant("no entries", lambda d: d.update(entries=[]))
    variant("wrong format", lambda d: d.update(format="other"))
    variant("kind", lambda d: d.update(kind="event"))
    return out


def test_forged_bundles_are_rejected_with_clear_errors(world: dict[str, Any]) -> None:
    led, ws = world["led"], world["ws"]
    doc = json.loads(led.trace(world["alice"], ws))
    verify_bundle(json.dumps(doc), led.verifier, _keys(ws))
    for name, bad in _mutations(doc):
        with pytest.raises(BundleError) as err:
            verify_bundle(json.dumps(bad), led.verifier, _keys(ws))
        assert str(err.value) and "\n" not in str(err.value), name
    other = Ledger.open(
        f"sqlite:///{ws[0].folder.parent / 'o.db'}",
        ws[0].folder.parent / "okeys",
        origin="log.example",
    )
    with pytest.raises(BundleError, match=r"log key|signature|no verifiable"):
        verify_bundle(json.dumps(doc), other.verifier, _keys(ws))
    other.close()
    for junk in [
        b"",
        b"{",
        b"[]",
        b"\xff",
        json.dumps({"format": "veil-ledger-bundle/v1"}).encode(),
    ]:
        with pytest.raises(BundleError):
            verify_bundle(junk, led.verifier)


def test_entries_against_different_checkpoints_are_rejected(world: dict[str, Any]) -> None:
    led = world["led"]
    a = json.loads(led.prove(world["events"][1].id))
    led.append(make_event(50, subject=world["alice"]))
    led.checkpoint()
    b = json.loads(led.prove(world["events"][4].id))
    mixed = dict(a, kind="trace", subject=world["alice"], entries=a["entries"] + b["entries"])
    with pytest.raises(BundleError, match="different checkpoint"):
        verify_bundle(json.dumps(mixed), led.verifier)


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Any]:
    d = tmp_path_factory.mktemp("b")
    with Ledger.open(f"sqlite:///{d / 'l.db'}", d / "k") as led:
        p = led.pseudonym("x")
        led.append_many([make_event(i, subject=p) for i in range(3)])
        return led.trace(p).encode(), led.verifier


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_byte_mutations_never_crash(
    small_bundle: tuple[bytes, Any], data: st.DataObject
) -> None:
    original, key = small_bundle
    bundle = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(bundle) - 1))
        bundle[i] = data.draw(st.integers(0, 255))
    with contextlib.suppress(VeilError):  # a clean rejection; anything else fails
        verify_bundle(bytes(bundle), key)


def test_c2sp_spec_examples_parse_and_render_byte_for_byte() -> None:
    from veil.ledger.note import parse_checkpoint, parse_note
    from veil.ledger.witness import parse_request

    ex = json.loads((Path(__file__).parent / "vectors" / "c2sp_examples.json").read_text())
    proof = parse_tlog_proof(ex["tlog_proof"])
    assert proof.index == 73894 and len(proof.hashes) == 5
    assert proof.render() == ex["tlog_proof"]
    req = parse_request(ex["witness_request"])
    assert req.old_size == 20852014 and len(req.proof) == 4
    assert req.render() == ex["witness_request"]
    note = parse_note(req.checkpoint_note)
    assert parse_checkpoint(note.text).size == 20852163 and len(note.signatures) == 2
    # a witness response appended to the checkpoint parses as note signatures
    both = parse_note(req.checkpoint_note + ex["witness_response"])
    assert [s.name for s in both.signatures][2:] == ["witness.example/w1"] * 2 + [
        "witness.example/w2"
    ]
    assert all(len(s.raw) == 8 + 64 for s in both.signatures[2:])  # timestamped cosignatures


def _swap_first_hashes(entry: dict[str, Any]) -> None:
    lines = entry["tlog_proof"].split("\n")
    lines[3], lines[4] = lines[4], lines[3]
    entry["tlog_proof"] = "\n".join(lines)


def test_each_layer_names_its_context_once(world: dict[str, Any]) -> None:
    led, ws = world["led"], world["ws"]
    doc = json.loads(led.prove(world["events"][0].id))
    _swap_first_hashes(doc["entries"][0])
    with pytest.raises(BundleError) as err:
        verify_bundle(json.dumps(doc), led.verifier)
    assert str(err.value) == (
        "entry 0: inclusion proof for leaf 0 does not lead to the root of size 12"
    )
    trace = json.loads(led.trace(world["alice"], ws))
    _swap_first_hashes(trace["entries"][1])
    with pytest.raises(BundleError) as err:
        verify_bundle(json.dumps(trace), led.verifier)
    assert str(err.value) == (
        "entry 1: inclusion proof for leaf 4 does not lead to the root of size 12"
    )
    trace = json.loads(led.trace(world["alice"], ws))
    for entry in trace["entries"]:  # only the witnesses' cosignatures are left
        entry["tlog_proof"] = entry["tlog_proof"].replace("\u2014 log.example", "\u2014 x")
    with pytest.raises(BundleError) as err:
        verify_bundle(json.dumps(trace), led.verifier, _keys(ws))
    assert str(err.value) == "entry 0: checkpoint: not signed by the log key log.example"


def test_a_malformed_checkpoint_is_named_once(world: dict[str, Any]) -> None:
    led = world["led"]
    doc = json.loads(led.prove(world["events"][0].id))
    proof, _, _ = doc["entries"][0]["tlog_proof"].partition("\n\n")
    text = f"{led.origin}\nnot-a-size\nroot\n"  # signed by the log itself, but malformed
    doc["entries"][0]["tlog_proof"] = proof + "\n\n" + text + "\n" + led.keys.signer.sign_line(text)
    with pytest.raises(BundleError) as err:
        verify_bundle(json.dumps(doc), led.verifier)
    assert str(err.value).count("checkpoint") == 1, str(err.value)
    assert "tree size is not a decimal" in str(err.value)


def test_a_bare_tlog_proof_comes_only_from_a_one_event_bundle(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "k", origin="t.example/b") as led:
        events = [make_event(i, subject="ab" * 32) for i in range(2)]
        led.append_many(events)
        bare = bare_tlog_proof(led.prove(events[1].id))
        assert parse_tlog_proof(bare).index == 1
        with pytest.raises(BundleError, match="holds 2"):
            bare_tlog_proof(led.trace("ab" * 32))


def test_a_verified_bundle_as_json_lists_its_events(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'j.db'}", tmp_path / "k", origin="t.example/j") as led:
        events = [make_event(i, subject="cd" * 32) for i in range(3)]
        led.append_many(events)
        result = verify_bundle(led.trace("cd" * 32), parse_vkey(led.status().vkey), [], None)
    data = result.as_dict()
    assert (data["kind"], data["origin"], data["tree_size"]) == ("trace", "t.example/j", 3)
    assert data["subject"] == "cd" * 32 and data["cosigned_by"] == []
    assert [e["index"] for e in data["events"]] == [0, 1, 2]
    assert [e["id"] for e in data["events"]] == [e.id for e in events]
