"""``POST /api/v1/events``: operators (sessions or operator API tokens) append a batch of events.

The batch (at most :data:`MAX_BATCH` events, each a strict ledger Event: unknown fields, raw
identifiers and bad values are refused with 422) is appended with ``Ledger.append_many`` in one
transaction, committed before the answer: a 200 means every event is durable. A batch holding an
event id the log already has is refused whole (409). After each batch the witnessing schedule is
woken so that a new checkpoint is published as soon as the witness policy is met.

The body is validated straight from its bytes by one pydantic validator in strict mode (no
``json.loads`` into Python objects first, no lax conversions), in a worker thread together with
the append, so a batch costs one hop off the event loop. The OpenAPI document still declares the
:class:`EventBatch` body (:func:`openapi_components`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
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


BATCH = TypeAdapter(EventBatch)
_REF = "#/components/schemas/{model}"
BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="EventBatch")}}},
    }
}


def openapi_components() -> dict[str, Any]:
    """The schemas the route's body names (``EventBatch`` and ``Event``), for the document's
    ``components``: the route reads its body itself, so FastAPI does not add them."""
    schema = EventBatch.model_json_schema(ref_template=_REF)
    return {**schema.pop("$defs", {}), "EventBatch": schema}


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def parse_batch(body: bytes, content_type: str = "application/json") -> EventBatch:
    """The batch in ``body`` (JSON), validated strictly; :class:`RequestValidationError` (422,
    FastAPI's error list, located under ``body``) when it is not a valid batch or not JSON."""
    if not _is_json(content_type):
        raise RequestValidationError(
            [{"type": "model_attributes_type", "loc": ("body",), "msg": "send application/json"}]
        )
    try:
        return BATCH.validate_json(body, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def _append(request: Request, body: bytes) -> list[int]:
    batch = parse_batch(body, request.headers.get("content-type", ""))
    try:
        return service_state(request).ledger().append_many(batch.events)
    except DuplicateEventError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/events", response_model=Appended, openapi_extra=BODY_DOC)
async def ingest(request: Request, _: Principal = Depends(operator)) -> Appended:
    """Append a batch of up to 10,000 events durably in one transaction (operators)."""
    indexes = await run_in_threadpool(_append, request, await request.body())
    wake: Any = getattr(request.app.state, "veil_witnessing", None)
    if wake is not None:
        wake.wake()
    last = indexes[-1] + 1
    return Appended(first=indexes[0], count=len(indexes), size=last, indexes=indexes)
