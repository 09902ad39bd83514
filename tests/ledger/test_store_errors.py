"""Both stores raise one store-neutral corruption error for tables that cannot be read as
written, and `verify` reports it as a problem on either store instead of failing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from veil.errors import VerificationError
from veil.ledger import Event, Ledger, StoreCorruptError
from veil.ledger.stores.sql import POSTGRES, SQLITE, Queries


def _alter(url: str, sql: str) -> None:
    """Run one schema edit on the ledger's database, outside the ledger."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.encode())
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        with conn:
            conn.execute(sql)
        conn.close()


@pytest.fixture
def damaged(db_url: str, tmp_path: Path, event_factory: Callable[..., Event]) -> Path:
    """A ledger of 9 events whose nodes table lost its hash column (an edit through SQL)."""
    keys = tmp_path / "keys"
    with Ledger.open(db_url, keys, origin="test.example/log") as led:
        led.append_many([event_factory(i) for i in range(9)])
        led.checkpoint()
        assert led.verify().ok
    _alter(db_url, "ALTER TABLE veil_ledger_nodes RENAME COLUMN hash TO renamed")
    return keys


def test_both_stores_raise_the_one_corruption_error(db_url: str, damaged: Path) -> None:
    with (
        Ledger.open(db_url, damaged, create=False) as led,
        pytest.raises(StoreCorruptError) as caught,
    ):
        list(led.store.iter_nodes(2))
    assert isinstance(caught.value, VerificationError)  # exit status 3, like any damage
    assert "\n" not in str(caught.value)


def test_verify_reports_unreadable_tables_on_both_stores(db_url: str, damaged: Path) -> None:
    with Ledger.open(db_url, damaged, create=False) as led:
        report = led.verify()
    assert not report.ok
    assert any("hash" in p for p in report.problems), report.problems


def test_the_sqlite_module_hands_on_the_same_error() -> None:
    from veil.ledger.stores import sqlite

    assert sqlite.StoreCorruptError is StoreCorruptError


_DIALECT_PARTS = {"schema", "add_subject_key", "returning_id", "head_locked", "add_checkpoint"}


@pytest.mark.parametrize("name", sorted(set(vars(Queries(SQLITE))) - _DIALECT_PARTS))
def test_shared_queries_differ_between_dialects_only_in_their_placeholders(name: str) -> None:
    # column types, locking and returned ids (_DIALECT_PARTS) are where the dialects must differ
    lite, pg = getattr(Queries(SQLITE), name), getattr(Queries(POSTGRES), name)
    if isinstance(lite, dict):
        lite, pg = "".join(lite.values()), "".join(pg.values())
    assert "%s" not in lite and "?" not in pg
    assert lite.replace("?", "%s") == pg


def test_only_the_head_read_of_an_append_locks_on_postgresql() -> None:
    assert Queries(POSTGRES).head_locked == Queries(POSTGRES).head + " FOR UPDATE"
    assert Queries(SQLITE).head_locked == Queries(SQLITE).head  # BEGIN IMMEDIATE holds the lock
