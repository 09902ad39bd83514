"""The witnessing schedule: a checkpoint is published only once the witness policy is met, and
one database-wide lock lets exactly one process sequence at a time (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.ledger.witness import Witness
from veil.service import ServiceSettings
from veil.service.state import ServiceState
from veil.service.witnessing import sequencer_lock, witness_round


def _state(settings: ServiceSettings, n: int) -> ServiceState:
    state = ServiceState.open(settings)
    state.ledger().append_many(make_event(i) for i in range(n))
    return state


def test_a_round_publishes_only_when_the_policy_is_met(tmp_path: Path) -> None:
    w = Witness.create(tmp_path / "w", "witness.round.example")
    dead = "http://127.0.0.1:9/witness"  # nothing listens on the discard port
    settings = ServiceSettings(home=tmp_path / "home", witnesses=(str(w.folder), dead))
    state = _state(settings, 5)
    try:
        w.add_log(state.ledger().vkey)
        with pytest.raises(Exception, match="witness policy not met"):
            witness_round(state)  # quorum defaults to all: the dead witness blocks it
        assert state.ledger().latest_checkpoint() is None
        one = settings.model_copy(update={"witness_quorum": 1})
        state.settings = one
        done = witness_round(state)
        assert done is not None and done.size == 5 and done.cosigners == 1
        cp = state.ledger().latest_checkpoint()
        assert cp is not None and cp.size == 5 and len(cp.cosignatures) == 1
        assert witness_round(state) is None  # the head did not grow: nothing to publish
        state.ledger().append(make_event(9))
        again = witness_round(state)
        assert again is not None and again.size == 6
    finally:
        state.close()


def _excludes(url: str) -> None:
    order: list[str] = []

    def other() -> None:
        with sequencer_lock(url):
            order.append("other")

    with sequencer_lock(url):
        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.5)
        order.append("first")  # the other holder is still waiting
    t.join(10)
    assert order == ["first", "other"]


def test_the_lock_is_exclusive_on_sqlite(tmp_path: Path) -> None:
    _excludes(f"sqlite:///{tmp_path / 'veil.db'}")


def test_the_lock_is_exclusive_on_postgresql(pg_url: str) -> None:
    _excludes(pg_url)
