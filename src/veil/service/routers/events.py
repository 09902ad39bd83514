"""``POST /api/v1/events``: operators (sessions or operator API tokens) append a batch of events.

The batch (at most :data:`MAX_BATCH` events, each a strict ledger Event: unknown fields, raw
identifiers and bad values are refused with 422) is appended with ``Ledger.append_many`` in one
transaction, committed before the answer: a 200 means every event is durable. A batch holding an
event id the log already has is refused whole (409). After each batch the witnessing schedule is
woken so that a new checkpoint is published as soon as the witness policy is met.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from veil.ledger import DuplicateEventError, Event
from veil.service.auth import Principal, require, service_state

MAX_BATCH = 10_000

router = APIRouter(prefix="/api/v1", tags=["events"])
operator = require("operator")


class EventBatch(BaseModel):
    """A batch of ledger events, in the order they are to be appended."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)


class Appended(BaseModel):
    """Where the batch went: its events' leaf indexes, in order, and the log's size after it."""

    first: int
    count: int
    size: int
    indexes: list[int]


@router.post("/events", response_model=Appended)
async def ingest(batch: EventBatch, request: Request, _: Principal = Depends(operator)) -> Appended:
    """Append a batch of up to 10,000 events durably in one transaction (operators)."""
    state = service_state(request)
    ledger = await run_in_threadpool(state.ledger)
    try:
        indexes = await run_in_threadpool(ledger.append_many, batch.events)
    except DuplicateEventError as exc:
        raise HTTPException(409, str(exc)) from None
    wake: Any = getattr(request.app.state, "veil_witnessing", None)
    if wake is not None:
        wake.wake()
    last = indexes[-1] + 1
    return Appended(first=indexes[0], count=len(indexes), size=last, indexes=indexes)
