"""The Ledger facade other parts of Veil use: open, pseudonyms, appends, subject lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.errors import ConfigError
from veil.ledger import DuplicateEventError, EventError, Ledger
from veil.ledger.merkle import root_from_leaves
from veil.ledger.note import verify_checkpoint


def test_append_returns_consecutive_indexes_and_root_matches_rfc9162(ledger: Ledger) -> None:
    events = [make_event(i) for i in range(7)]
    assert ledger.append(events[0]) == 0
    assert ledger.append_many(events[1:]) == list(range(1, 7))
    head = ledger.head()
    assert head.size == 7
    assert head.root == root_from_leaves([e.canonical() for e in events])


def test_pseudonym_is_keyed_and_stable(ledger: Ledger, tmp_path: Path) -> None:
    p = ledger.pseudonym("alice@example.com")
    assert len(p) == 64 and p == ledger.pseudonym(" alice@example.com ")
    assert p != ledger.pseudonym("bob@example.com")
    with Ledger.open(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "k2") as other:
        assert other.pseudonym("alice@example.com") != p  # another key, another pseudonym


def test_events_for_subject_uses_the_index_and_keeps_order(ledger: Ledger) -> None:
    alice, bob = ledger.pseudonym("alice"), ledger.pseudonym("bob")
    evs = [make_event(i, subject=alice if i % 3 == 0 else bob) for i in range(9)]
    ledger.append_many(evs)
    got = ledger.events_for_subject(alice)
    assert [e.id for e in got] == [evs[i].id for i in (0, 3, 6)]
    assert [i for i, _ in ledger.entries_for_subject(bob)] == [1, 2, 4, 5, 7, 8]
    assert ledger.events_for_subject(ledger.pseudonym("carol")) == []
    with pytest.raises(EventError):
        ledger.events_for_subject("alice")


def test_duplicate_event_ids_are_refused_and_do_not_fork(ledger: Ledger) -> None:
    e = make_event(1)
    ledger.append(e)
    with pytest.raises(DuplicateEventError, match=e.id):
        ledger.append(e)
    with pytest.raises(DuplicateEventError):
        ledger.append_many([make_event(2), make_event(3)] * 2)
    assert ledger.head().size == 1
    assert ledger.append(make_event(4)) == 1
    assert ledger.verify().ok


def test_checkpoint_is_a_signed_note_over_the_head(ledger: Ledger) -> None:
    ledger.append_many([make_event(i) for i in range(3)])
    note = ledger.checkpoint()
    cp = verify_checkpoint(note, ledger.verifier).checkpoint
    assert (cp.origin, cp.size, cp.root) == ("test.example/log", 3, ledger.head().root)


def test_reopen_with_other_keys_or_for_another_db_is_refused(tmp_path: Path) -> None:
    db, keys = f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "keys"
    with Ledger.open(db, keys) as led:
        led.append(make_event())
    with Ledger.open(db, keys) as led:  # same keys: fine
        assert led.head().size == 1
    with pytest.raises(ConfigError, match="keys are not in"):
        Ledger.open(db, tmp_path / "other-keys", create=False)
    with Ledger.open(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "k2"):
        pass
    with pytest.raises(ConfigError, match="another key"):
        Ledger.open(db, tmp_path / "k2")
    with pytest.raises(ConfigError, match="split view"):
        Ledger.open(f"sqlite:///{tmp_path / 'b.db'}", keys)
    with pytest.raises(ConfigError, match="veil ledger init"):
        Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "none", create=False)


def test_default_location_is_under_veil_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VEIL_DB", raising=False)
    with Ledger.open() as led:
        led.append(make_event())
    assert (tmp_path / "home" / "veil.db").exists()
    assert (tmp_path / "home" / "ledger" / "log.key").stat().st_mode & 0o077 == 0


def test_append_rejects_non_events(ledger: Ledger) -> None:
    with pytest.raises(EventError):
        ledger.append({"action": "collect"})  # type: ignore[arg-type]


def test_verify_reports_progress(ledger: Ledger) -> None:
    ledger.append_many([make_event(i) for i in range(12_000)])
    seen: list[tuple[int, int]] = []
    assert ledger.verify(progress=lambda done, total: seen.append((done, total))).ok
    assert seen == [(5000, 12_000), (10_000, 12_000)]


def test_the_verify_report_as_json_counts_every_problem() -> None:
    from veil.ledger.audit import AuditReport

    report = AuditReport(size=3, leaves_checked=3)
    assert report.as_dict()["ok"] is True
    for i in range(AuditReport.MAX_LISTED + 5):
        report.problem(f"leaf {i}: bad")
    data = report.as_dict()
    assert (data["ok"], data["problem_count"], len(data["problems"])) == (False, 105, 100)
    assert data["size"] == data["leaves_checked"] == 3 and data["problems"][0] == "leaf 0: bad"


def test_ledgers_from_earlier_development_builds_are_upgraded(tmp_path: Path) -> None:
    """Before the current layout, leaf hashes and level-1 nodes were rows of the nodes table
    and the subject index was on the 32-byte pseudonym: opening such a file upgrades it."""
    import hashlib
    import sqlite3

    db, keys = tmp_path / "old.db", tmp_path / "keys"
    with Ledger.open(f"sqlite:///{db}", keys) as led:
        who = led.pseudonym("erin")
        events = [make_event(i, subject=who if i % 2 else None) for i in range(7)]
        led.append_many(events)
        led.checkpoint()
    conn = sqlite3.connect(db)
    with conn:
        rows = conn.execute(
            "SELECT idx, data, event_id, subject, hash FROM veil_ledger_leaves"
        ).fetchall()
        conn.execute("DROP TABLE veil_ledger_leaves")
        conn.execute(
            "CREATE TABLE veil_ledger_leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, "
            "event_id BLOB UNIQUE, subject BLOB)"
        )
        conn.execute(
            "CREATE INDEX veil_ledger_leaves_subject ON veil_ledger_leaves (subject) "
            "WHERE subject IS NOT NULL"
        )
        conn.executemany(
            "INSERT INTO veil_ledger_leaves VALUES (?, ?, ?, ?)", [r[:4] for r in rows]
        )
        hashes = [r[4] for r in rows]
        conn.executemany("INSERT INTO veil_ledger_nodes VALUES (?, ?)", list(enumerate(hashes)))
        level1 = [
            ((1 << 56) | i, hashlib.sha256(b"\x01" + hashes[2 * i] + hashes[2 * i + 1]).digest())
            for i in range(len(hashes) // 2)
        ]
        conn.executemany("INSERT INTO veil_ledger_nodes VALUES (?, ?)", level1)
    conn.close()
    with Ledger.open(f"sqlite:///{db}", keys, create=False) as led:
        report = led.verify()
        assert report.ok, report.problems
        assert [i for i, _ in led.entries_for_subject(who)] == [1, 3, 5]
        assert led.append(make_event(9)) == 7
        assert led.verify().ok


def test_postgres_ledgers_without_subject_key_are_upgraded(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    keys = tmp_path / "keys"
    with Ledger.open(pg_url, keys) as led:
        who = led.pseudonym("fay")
        led.append_many([make_event(i, subject=who if i < 3 else None) for i in range(5)])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE veil_ledger_leaves DROP COLUMN subject_key")
        conn.execute(
            "CREATE INDEX veil_ledger_leaves_subject ON veil_ledger_leaves (subject) "
            "WHERE subject IS NOT NULL"
        )
    with Ledger.open(pg_url, keys, create=False) as led:
        assert [i for i, _ in led.entries_for_subject(who)] == [0, 1, 2]
        assert led.verify().ok


def test_the_origin_stands_in_for_a_missing_controller_only_when_an_event_accepts_it(
    tmp_path: Path,
) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a") as led:
        assert led.controller_or_origin(None) == led.origin
        assert led.controller_or_origin("Lakeside Residences") == "Lakeside Residences"
    # A ledger made by a build whose random origins were hex could hold a long run of digits.
    db = f"sqlite:///{tmp_path / 'b.db'}"
    with Ledger.open(db, tmp_path / "b", origin="veil.local/ledger/123456789012") as led:
        with pytest.raises(ConfigError, match="--controller"):
            led.controller_or_origin(None)
        assert led.controller_or_origin("Shop") == "Shop"
