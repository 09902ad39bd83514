"""PIPL rights requests: filing, the queue, each step, deadlines, persistence, ledger events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veil.consent.rights import (
    DEADLINE_WORKING_DAYS,
    RightsDesk,
    RightsError,
    RightsState,
    response_deadline,
)
from veil.consent.store import ConsentStore
from veil.ledger import Ledger

CONTROLLER = "Lakeside Residences"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veil.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(db_url, tmp_path / "keys") as led:
        yield led


@pytest.fixture
def store(db_url: str) -> Iterator[ConsentStore]:
    s = ConsentStore(db_url)
    yield s
    s.close()


@pytest.fixture
def desk(store: ConsentStore, ledger: Ledger) -> RightsDesk:
    return RightsDesk(store, ledger, CONTROLLER)


def _steps(ledger: Ledger, subject: str, request_id: str) -> list[str]:
    return [e.purpose for e in ledger.events_for_subject(subject) if e.consent_ref == request_id]


def test_a_request_goes_received_in_progress_fulfilled_and_each_step_is_logged(
    desk: RightsDesk, ledger: Ledger
) -> None:
    a = ledger.pseudonym("resident-17")
    req = desk.create(a, "deletion", "delete my face template and photos")
    assert req.state is RightsState.RECEIVED and req.article == "PIPL Art. 47"
    assert _steps(ledger, a, req.request_id) == ["PIPL Art. 47 deletion request: received"]
    started = desk.start(req.request_id, note="identity checked")
    assert started.state is RightsState.IN_PROGRESS
    done = desk.fulfil(req.request_id)
    assert done.state is RightsState.FULFILLED and not done.open
    assert [s.state for s in done.history] == ["received", "in_progress", "fulfilled"]
    assert done.history[1].note == "identity checked"
    assert _steps(ledger, a, req.request_id) == [
        "PIPL Art. 47 deletion request: received",
        "PIPL Art. 47 deletion request: in_progress",
        "PIPL Art. 47 deletion request: fulfilled",
    ]
    events = [e for e in ledger.events_for_subject(a) if e.consent_ref == req.request_id]
    assert {e.action for e in events} == {"use"}
    assert {e.legal_basis for e in events} == {"legal_obligation"}
    assert all("face template" not in e.model_dump_json() for e in events)  # detail stays out


def test_a_refusal_needs_a_reason_and_keeps_it(desk: RightsDesk, ledger: Ledger) -> None:
    a = ledger.pseudonym("resident-17")
    req = desk.create(a, "copy")
    desk.start(req.request_id)
    with pytest.raises(RightsError, match="reason"):
        desk.refuse(req.request_id, "  ")
    refused = desk.refuse(req.request_id, "the records asked for are another person's")
    assert refused.state is RightsState.REFUSED
    assert refused.refusal_reason == "the records asked for are another person's"
    assert _steps(ledger, a, req.request_id)[-1] == "PIPL Art. 45 copy request: refused"


@pytest.mark.parametrize(
    ("before", "step"),
    [
        ((), "fulfil"),
        ((), "refuse"),
        (("start",), "start"),
        (("start", "fulfil"), "start"),
        (("start", "fulfil"), "fulfil"),
        (("start", "fulfil"), "refuse"),
        (("start", "refuse"), "fulfil"),
    ],
)
def test_illegal_steps_are_refused_and_change_nothing(
    desk: RightsDesk, ledger: Ledger, before: tuple[str, ...], step: str
) -> None:
    a = ledger.pseudonym("resident-17")
    req = desk.create(a, "access")

    def do(name: str) -> None:
        if name == "refuse":
            desk.refuse(req.request_id, "not our data")
        else:
            getattr(desk, name)(req.request_id)

    for name in before:
        do(name)
    state, logged = desk.get(req.request_id).state, ledger.head().size
    with pytest.raises(RightsError, match="cannot become"):
        do(step)
    assert desk.get(req.request_id).state is state
    assert ledger.head().size == logged


def test_unknown_kind_subject_or_request_is_bad_input(desk: RightsDesk, ledger: Ledger) -> None:
    a = ledger.pseudonym("resident-17")
    with pytest.raises(RightsError):
        desk.create(a, "portability")
    with pytest.raises(RightsError):
        desk.create("resident-17", "access")  # a raw identifier, not a pseudonym
    with pytest.raises(RightsError):
        desk.create(a, "access", "x" * 2001)
    with pytest.raises(RightsError):
        desk.start("rr_nosuchrequest")
    assert ledger.head().size == 0


def test_a_person_sees_only_their_own_requests(desk: RightsDesk, ledger: Ledger) -> None:
    a, b = ledger.pseudonym("resident-17"), ledger.pseudonym("resident-18")
    mine = desk.create(a, "explanation", "why is my face stored?")
    theirs = desk.create(b, "access")
    assert [r.request_id for r in desk.for_subject(a)] == [mine.request_id]
    assert desk.get(mine.request_id, subject=a).kind == "explanation"
    assert desk.get(mine.request_id).article == "PIPL Art. 48"
    with pytest.raises(RightsError, match="no rights request"):
        desk.get(theirs.request_id, subject=a)


def test_the_queue_is_open_requests_by_deadline(desk: RightsDesk, ledger: Ledger) -> None:
    a = ledger.pseudonym("resident-17")
    monday = datetime(2026, 11, 30, 2, tzinfo=UTC)
    late = desk.create(a, "access", at=monday + timedelta(days=2))
    early = desk.create(a, "copy", at=monday)
    closed = desk.create(a, "deletion", at=monday - timedelta(days=7))
    desk.start(closed.request_id)
    desk.fulfil(closed.request_id)
    desk.start(late.request_id)
    assert [r.request_id for r in desk.queue()] == [early.request_id, late.request_id]
    everything = [r.request_id for r in desk.queue(include_closed=True)]
    assert everything == [closed.request_id, early.request_id, late.request_id]


def test_requests_persist_across_reopening(db_url: str, ledger: Ledger) -> None:
    a = ledger.pseudonym("resident-17")
    first = ConsentStore(db_url)
    try:
        req = RightsDesk(first, ledger, CONTROLLER).create(a, "correction", "my unit is 3B")
        RightsDesk(first, ledger, CONTROLLER).start(req.request_id)
    finally:
        first.close()
    second = ConsentStore(db_url)
    try:
        again = RightsDesk(second, ledger, CONTROLLER).get(req.request_id)
    finally:
        second.close()
    assert again.state is RightsState.IN_PROGRESS
    assert again.detail == "my unit is 3B" and again.deadline == req.deadline
    assert again.article == "PIPL Art. 46"


def test_deadline_is_the_end_of_the_fifteenth_working_day_china_time() -> None:
    assert DEADLINE_WORKING_DAYS == 15
    # Monday 2026-11-30 10:00 CST: 15 working days later is Monday 2026-12-21, end of day CST
    received = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert response_deadline(received) == datetime(2026, 12, 21, 15, 59, 59, tzinfo=UTC)
    # Sunday 20:00 UTC is Monday 04:00 CST: Monday counts as the day of receipt
    sunday_utc = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert response_deadline(sunday_utc) == datetime(2026, 12, 21, 15, 59, 59, tzinfo=UTC)
    # Friday 16:30 UTC is Saturday 00:30 CST: counting starts on Monday 2026-12-07
    saturday = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    assert response_deadline(saturday) == datetime(2026, 12, 25, 15, 59, 59, tzinfo=UTC)
    for days in range(14):
        start = received + timedelta(days=days)
        span = response_deadline(start) - start
        assert timedelta(days=19) < span < timedelta(days=24)


def test_overdue_only_while_open(desk: RightsDesk, ledger: Ledger) -> None:
    a = ledger.pseudonym("resident-17")
    req = desk.create(a, "access", at=datetime(2026, 1, 5, tzinfo=UTC))
    assert req.overdue(datetime(2026, 3, 1, tzinfo=UTC))
    assert not req.overdue(datetime(2026, 1, 6, tzinfo=UTC))
    desk.start(req.request_id)
    done = desk.fulfil(req.request_id)
    assert not done.overdue(datetime(2026, 3, 1, tzinfo=UTC))
