"""Rights requests under PIPL Arts. 44-48: access, copy, correction, deletion, explanation.

A person (by subject pseudonym) files a request; the operator works through a queue sorted by
deadline; each request goes ``received -> in_progress -> fulfilled | refused`` (a refusal states
its reason, PIPL Art. 50) and nothing else. Requests live in the consent store's database
(``veil_consent_rights_requests``, SQLite or PostgreSQL) and every step, the filing included, is
appended to the ledger as a ``use`` event about the subject, on the basis of a legal obligation,
with the request id as ``consent_ref`` and no detail text (the detail may hold personal data; it
stays in the consent database).

Deadline: PIPL sets no day count (Art. 50: "promptly"). Veil answers within
:data:`DEADLINE_WORKING_DAYS` = 15 working days, the limit the 2019 "Methods for identifying
illegal collection and use of personal information by apps" (App违法违规收集使用个人信息行为认定方法,
item 6) allow at most for correcting or deleting, stricter than the 30 days of GB/T 35273-2020
s. 8.7 (both recalled, not verified from source). The deadline is the end (23:59:59 China
Standard Time) of the 15th Monday-to-Friday day after receipt; public holidays and make-up
working days are not modelled.
"""

from __future__ import annotations

import base64
import os
import re
from datetime import UTC, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from veil.consent.events import EventSink
from veil.consent.records import HistoryEntry, utcnow
from veil.consent.registry import pydantic_message
from veil.consent.store import TABLE_PREFIX, ConsentStore
from veil.errors import BadInputError
from veil.ledger.events import Event

TABLE = f"{TABLE_PREFIX}rights_requests"
SYSTEM = "veil-rights"
DEADLINE_WORKING_DAYS = 15
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
RightsKind = Literal["access", "copy", "correction", "deletion", "explanation"]
ARTICLES: dict[str, str] = {
    "access": "45",
    "copy": "45",
    "correction": "46",
    "deletion": "47",
    "explanation": "48",
}
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
MAX_TEXT = 2000


class RightsError(BadInputError):
    """A rights request that does not exist (for this subject) or cannot make that step."""


class RightsState(StrEnum):
    """Where a request stands."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    REFUSED = "refused"


OPEN = (RightsState.RECEIVED, RightsState.IN_PROGRESS)
NEXT: dict[RightsState, tuple[RightsState, ...]] = {
    RightsState.RECEIVED: (RightsState.IN_PROGRESS,),
    RightsState.IN_PROGRESS: (RightsState.FULFILLED, RightsState.REFUSED),
    RightsState.FULFILLED: (),
    RightsState.REFUSED: (),
}


class Step(HistoryEntry[RightsState]):
    """One entry of a rights request's history."""


class RightsRequest(BaseModel):
    """One request by one subject."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    request_id: str
    subject: str = Field(pattern=_PSEUDONYM.pattern, description="the subject pseudonym")
    kind: RightsKind
    detail: str = Field(default="", max_length=MAX_TEXT)
    state: RightsState = RightsState.RECEIVED
    received_at: datetime
    deadline: datetime
    refusal_reason: str | None = None
    history: tuple[Step, ...] = ()

    @property
    def article(self) -> str:
        """The PIPL article the request rests on, e.g. 'PIPL Art. 47'."""
        return f"PIPL Art. {ARTICLES[self.kind]}"

    @property
    def open(self) -> bool:
        """Still to be answered."""
        return self.state in OPEN

    def overdue(self, at: datetime | None = None) -> bool:
        """Open past its deadline."""
        return self.open and (at or utcnow()) > self.deadline


def response_deadline(received_at: datetime) -> datetime:
    """The end of the 15th working day (Mon-Fri, China Standard Time) after ``received_at``."""
    if received_at.tzinfo is None:
        raise BadInputError("the time a request was received must carry a time zone")
    day = received_at.astimezone(CHINA_STANDARD_TIME).date()
    counted = 0
    while counted < DEADLINE_WORKING_DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    end = datetime.combine(day, time(23, 59, 59), CHINA_STANDARD_TIME)
    return end.astimezone(UTC)


def new_request_id() -> str:
    """``rr_`` and 26 random base32 characters (no long digit runs, no personal data)."""
    return "rr_" + base64.b32encode(os.urandom(16)).decode().rstrip("=").lower()


class RightsDesk:
    """Rights requests in a :class:`ConsentStore`, their steps logged to an :class:`EventSink`
    (the ledger) in the name of ``controller``."""

    def __init__(self, store: ConsentStore, sink: EventSink, controller: str) -> None:
        self.store = store
        self.sink = sink
        self.controller = controller
        with store.transaction() as cur:
            cur.execute(
                f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                request_id TEXT PRIMARY KEY, subject TEXT NOT NULL, state TEXT NOT NULL,
                deadline TEXT NOT NULL, body TEXT NOT NULL)"""
            )
            cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_subject ON {TABLE} (subject)")
            cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_queue ON {TABLE} (state, deadline)")

    def _event(self, request: RightsRequest) -> Event:
        return Event.new(
            action="use",
            controller=self.controller,
            system=SYSTEM,
            data_categories=["consent_record"],
            purpose=f"{request.article} {request.kind} request: {request.state.value}",
            legal_basis="legal_obligation",
            consent_ref=request.request_id,
            subject_pseudonym=request.subject,
        )

    # -- filing and reading -------------------------------------------------------------------
    def create(
        self, subject: str, kind: str, detail: str = "", *, at: datetime | None = None
    ) -> RightsRequest:
        """File a request for ``subject`` (a pseudonym); it is ``received`` with its deadline."""
        now = (at or utcnow()).astimezone(UTC)
        try:
            request = RightsRequest.model_validate(
                {
                    "request_id": new_request_id(),
                    "subject": subject,
                    "kind": kind,
                    "detail": detail,
                    "received_at": now,
                    "deadline": response_deadline(now),
                    "history": (Step(state=RightsState.RECEIVED, at=now),),
                }
            )
        except ValidationError as exc:
            raise RightsError(f"invalid rights request: {pydantic_message(exc)}") from None
        event = self._event(request)  # validated before anything is stored
        with self.store.transaction() as cur:
            cur.execute(
                f"INSERT INTO {TABLE} (request_id, subject, state, deadline, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    request.request_id,
                    request.subject,
                    request.state.value,
                    request.deadline.isoformat(),
                    request.model_dump_json(),
                ),
            )
        self.sink.append(event)
        return request

    def get(self, request_id: str, *, subject: str | None = None) -> RightsRequest:
        """The request ``request_id`` (of ``subject`` when given: another's is "no request")."""
        rows = self.store.query(f"SELECT body FROM {TABLE} WHERE request_id = ?", (request_id,))
        request = RightsRequest.model_validate_json(rows[0][0]) if rows else None
        if request is None or (subject is not None and request.subject != subject):
            raise RightsError(f"no rights request {request_id!r}")
        return request

    def for_subject(self, subject: str) -> list[RightsRequest]:
        """Every request of ``subject``, oldest first."""
        rows = self.store.query(f"SELECT body FROM {TABLE} WHERE subject = ?", (subject,))
        found = [RightsRequest.model_validate_json(r[0]) for r in rows]
        return sorted(found, key=lambda r: (r.received_at, r.request_id))

    def queue(self, *, include_closed: bool = False) -> list[RightsRequest]:
        """The operator's queue: open requests (or all), the nearest deadline first."""
        sql = f"SELECT body FROM {TABLE}"
        params: tuple[str, ...] = ()
        if not include_closed:
            sql += " WHERE state IN (?, ?)"
            params = tuple(s.value for s in OPEN)
        found = [RightsRequest.model_validate_json(r[0]) for r in self.store.query(sql, params)]
        return sorted(found, key=lambda r: (r.deadline, r.received_at, r.request_id))

    # -- steps --------------------------------------------------------------------------------
    def start(
        self, request_id: str, *, note: str | None = None, at: datetime | None = None
    ) -> RightsRequest:
        """``received -> in_progress``."""
        return self._step(request_id, RightsState.IN_PROGRESS, note, None, at)

    def fulfil(
        self, request_id: str, *, note: str | None = None, at: datetime | None = None
    ) -> RightsRequest:
        """``in_progress -> fulfilled``."""
        return self._step(request_id, RightsState.FULFILLED, note, None, at)

    def refuse(self, request_id: str, reason: str, *, at: datetime | None = None) -> RightsRequest:
        """``in_progress -> refused``, with the reason given to the person (PIPL Art. 50)."""
        if not reason or not reason.strip():
            raise RightsError("a refusal must state its reason (PIPL Art. 50)")
        return self._step(request_id, RightsState.REFUSED, reason.strip(), reason.strip(), at)

    def _step(
        self,
        request_id: str,
        state: RightsState,
        note: str | None,
        reason: str | None,
        at: datetime | None,
    ) -> RightsRequest:
        now = (at or utcnow()).astimezone(UTC)
        if note is not None and len(note) > MAX_TEXT:
            raise RightsError(f"a note is at most {MAX_TEXT} characters")
        with self.store.transaction() as cur:
            row = cur.execute(
                f"SELECT body FROM {TABLE} WHERE request_id = ?", (request_id,)
            ).fetchone()
            if row is None:
                raise RightsError(f"no rights request {request_id!r}")
            old = RightsRequest.model_validate_json(row[0])
            if state not in NEXT[old.state]:
                raise RightsError(
                    f"rights request {request_id} is {old.state.value}: it cannot become "
                    f"{state.value}"
                    + (
                        f" (next: {', '.join(s.value for s in NEXT[old.state])})"
                        if old.open
                        else ""
                    )
                )
            step = Step(state=state, at=now, note=note)
            update: dict[str, object] = {"state": state, "history": (*old.history, step)}
            if reason is not None:
                update["refusal_reason"] = reason
            new = old.model_copy(update=update)
            event = self._event(new)
            cur.execute(
                f"UPDATE {TABLE} SET state = ?, body = ? WHERE request_id = ? AND state = ?",
                (new.state.value, new.model_dump_json(), request_id, old.state.value),
            )
            if cur.rowcount != 1:
                raise RightsError(f"rights request {request_id} changed meanwhile: try again")
        self.sink.append(event)
        return new
