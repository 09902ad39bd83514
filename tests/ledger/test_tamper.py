"""`verify` finds every edit to stored leaves, index columns, nodes, the head and checkpoints:
byte edits in the SQLite file and row edits in either store, including a full rewrite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.errors import VerificationError
from veil.ledger import Ledger
from veil.ledger.log import TransparencyLog
from veil.ledger.merkle import EMPTY_ROOT, NodeId
from veil.ledger.stores import LeafRow, node_key

N = 13


@pytest.fixture
def built(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, list[Any]]]:
    keys = tmp_path / "keys"
    with Ledger.open(db_url, keys, origin="test.example/log") as led:
        alice = led.pseudonym("alice")
        events = [make_event(i, subject=alice if i % 2 else None) for i in range(N)]
        led.append_many(events[:9])
        led.checkpoint()
        led.append_many(events[9:])
        led.checkpoint()
        assert led.verify().ok
    yield db_url, keys, events


def _sql(url: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        with conn:
            conn.execute(sql, params)
        conn.close()


def _problems(url: str, keys: Path) -> list[str]:
    with Ledger.open(url, keys, create=False) as led:
        report = led.verify()
    assert not report.ok
    return report.problems


def test_edited_leaf_bytes_are_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, events = built
    forged = events[3].canonical().replace(b"monitoring 3", b"monitoring 4")
    _sql(url, "UPDATE veil_ledger_leaves SET data = ? WHERE idx = 3", (forged,))
    problems = _problems(url, keys)
    assert any(p.startswith("leaf 3: its bytes do not hash") for p in problems), problems


def test_edited_leaf_and_leaf_hash_together_are_caught_by_the_nodes(
    built: tuple[str, Path, list[Any]],
) -> None:
    url, keys, events = built
    forged = events[5].canonical().replace(b"monitoring 5", b"monitoring 6")
    import hashlib

    h = hashlib.sha256(b"\x00" + forged).digest()
    _sql(url, "UPDATE veil_ledger_leaves SET data = ?, hash = ? WHERE idx = 5", (forged, h))
    problems = _problems(url, keys)
    assert any("tree node 2/1" in p for p in problems), problems


def test_edited_subject_index_is_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, _ = built
    _sql(url, "UPDATE veil_ledger_leaves SET subject = NULL WHERE idx = 7")
    problems = _problems(url, keys)
    assert any(p.startswith("leaf 7: its subject index") for p in problems), problems


def test_edited_subject_key_is_named(built: tuple[str, Path, list[Any]]) -> None:
    """Moving an event out of its subject's index entry would hide it from their trace."""
    url, keys, _ = built
    _sql(url, "UPDATE veil_ledger_leaves SET subject_key = 12345 WHERE idx = 3")
    with Ledger.open(url, keys, create=False) as led:
        assert [i for i, _ in led.entries_for_subject(led.pseudonym("alice"))] == [1, 5, 7, 9, 11]
    problems = _problems(url, keys)
    assert any(p.startswith("leaf 3: its subject index") for p in problems), problems


def test_edited_node_is_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, _ = built
    _sql(url, "UPDATE veil_ledger_nodes SET hash = ? WHERE id = ?", (b"\x11" * 32, node_key(3, 0)))
    problems = _problems(url, keys)
    assert any(p.startswith("tree node 3/0") for p in problems), problems


def test_deleted_leaf_is_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, _ = built
    _sql(url, "DELETE FROM veil_ledger_leaves WHERE idx = 4")
    problems = _problems(url, keys)
    assert any("leaves 4 to 4: missing" in p for p in problems), problems


def test_edited_head_is_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, _ = built
    _sql(url, "UPDATE veil_ledger_head SET root = ?", (b"\x22" * 32,))
    problems = _problems(url, keys)
    assert any(p.startswith("tree head") for p in problems), problems


def test_edited_checkpoint_is_named(built: tuple[str, Path, list[Any]]) -> None:
    url, keys, _ = built
    _sql(
        url,
        "UPDATE veil_ledger_checkpoints SET note = replace(note, '\n9\n', '\n8\n') WHERE id = 1",
    )
    problems = _problems(url, keys)
    assert any(p.startswith("checkpoint 1 (size 9)") for p in problems), problems


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoints(
    built: tuple[str, Path, list[Any]],
) -> None:
    """The operator rebuilds the whole tree (leaves, nodes, head) without one event: every
    hash is self-consistent, but the checkpoints it signed earlier no longer match."""
    url, keys, events = built
    _sql(url, "DELETE FROM veil_ledger_leaves")
    _sql(url, "DELETE FROM veil_ledger_nodes")
    _sql(url, "UPDATE veil_ledger_head SET size = 0, root = ?", (EMPTY_ROOT,))
    with Ledger.open(url, keys, create=False) as led:
        kept = [e for i, e in enumerate(events) if i != 2]
        TransparencyLog(led.store).append(
            [
                LeafRow(
                    e.canonical(), e.event_id_bytes, bytes.fromhex(e.subject) if e.subject else None
                )
                for e in kept
            ]
        )
        report = led.verify()
    assert not report.ok
    assert report.problems == [
        "checkpoint 1 (size 9): signed root is not the root of the stored tree at size 9 "
        "(the log was rewritten, or the checkpoint was edited)",
        "checkpoint 2 (size 13): signed a tree larger than the log (13 > 12)",
    ]


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def sqlite_built(tmp_path: Path) -> tuple[str, Path, list[Any]]:
    url, keys = f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "keys"
    with Ledger.open(url, keys, origin="test.example/log") as led:
        events = [make_event(i, subject=led.pseudonym("bob")) for i in range(N)]
        led.append_many(events)
        led.checkpoint()
    return url, keys, events


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def _detected(url: str, keys: Path) -> bool:
    try:
        with Ledger.open(url, keys, create=False) as led:
            return not led.verify().ok
    except VerificationError:
        return True


def test_every_byte_of_a_leaf_in_the_sqlite_file_is_covered(
    sqlite_built: tuple[str, Path, list[Any]],
) -> None:
    url, keys, events = sqlite_built
    path = _sqlite_file(url)
    original = path.read_bytes()
    leaf = events[6].canonical()
    at = original.find(leaf)
    assert at > 0 and original.find(leaf, at + 1) < 0
    for offset in range(at, at + len(leaf), 3):
        path.write_bytes(original)
        _flip(path, offset)
        assert _detected(url, keys), f"byte {offset - at} of leaf 6 changed unnoticed"


@pytest.mark.parametrize("what", ["leaf hash", "node", "checkpoint note", "subject"])
def test_byte_edits_in_the_sqlite_file_are_named(
    sqlite_built: tuple[str, Path, list[Any]], what: str
) -> None:
    url, keys, events = sqlite_built
    with Ledger.open(url, keys, create=False) as led:
        leaf_hash = led.log.fetch([NodeId(0, 4)])[NodeId(0, 4)]
        node = led.log.fetch([NodeId(2, 1)])[NodeId(2, 1)]
        note = led.checkpoints()[0].note.encode()
    path = _sqlite_file(url)
    blob = path.read_bytes()
    needle = {
        "leaf hash": leaf_hash,
        "node": node,
        "checkpoint note": note[-20:-2],
        "subject": bytes.fromhex(events[0].subject or ""),
    }[what]
    at = blob.find(needle)
    assert at > 0
    _flip(path, at + 5)
    with Ledger.open(url, keys, create=False) as led:
        report = led.verify()
    assert not report.ok
    text = " | ".join(report.problems)
    expected = {
        "leaf hash": "leaf 4: its bytes do not hash",
        "node": "tree node 2/1",
        "checkpoint note": "checkpoint 1",
        "subject": "subject",
    }[what]
    assert expected in text, text


def test_edited_cosignature_is_named(db_url: str, tmp_path: Path) -> None:
    from veil.ledger.witness import Witness

    keys = tmp_path / "keys"
    with Ledger.open(db_url, keys, origin="test.example/log") as led:
        w = Witness.create(tmp_path / "w", "w.example")
        w.add_log(led.vkey)
        led.append_many([make_event(i) for i in range(4)])
        led.checkpoint([w])
        assert led.verify([w.vkey]).ok
    _sql(
        db_url,
        "UPDATE veil_ledger_cosignatures SET line = replace(line, substr(line, 20, 4), 'AAAA')",
    )
    with Ledger.open(db_url, keys, create=False) as led:
        report = led.verify([w.vkey])
    assert not report.ok
    assert any("cosignature of w.example" in p for p in report.problems), report.problems
