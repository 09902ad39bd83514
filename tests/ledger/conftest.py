"""Fixtures for the ledger tests: ledgers on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.ledger import Event, Ledger


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(db_url, tmp_path / "keys", origin="test.example/log") as led:
        yield led


@pytest.fixture
def event_factory() -> Callable[..., Event]:
    return make_event
