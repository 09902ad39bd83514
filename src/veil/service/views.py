"""Response models of the person and operator APIs (so OpenAPI documents every answer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from veil.consent.records import ConsentRecord, HistoryEntry
from veil.consent.rights import NEXT, RightsRequest

V = TypeVar("V", bound=BaseModel)


class ChangeView(BaseModel):
    """One state change of a consent or a rights request."""

    state: str
    at: datetime
    note: str | None = None


class ConsentView(BaseModel):
    """One consent record (templates never appear here)."""

    record_id: str
    subject: str
    controller: str
    purposes: tuple[str, ...]
    data_categories: tuple[str, ...]
    legal_basis: str
    state: str
    given_at: datetime
    expires_at: datetime
    notice_version: str
    notice_digest: str
    collection_method: str
    valid_now: dict[str, bool]
    history: list[ChangeView]


def consent_view(record: ConsentRecord) -> ConsentView:
    """The view of ``record``."""
    return _view(
        ConsentView, record, state=record.state.value,
        valid_now={p: record.is_valid(p) for p in record.purposes},
        history=_changes(record.history),
    )  # fmt: skip


class RightsView(BaseModel):
    """One rights request with its state, deadline and the steps it may take next."""

    request_id: str
    subject: str
    kind: str
    article: str
    detail: str
    state: str
    received_at: datetime
    deadline: datetime
    overdue: bool
    refusal_reason: str | None
    next_states: list[str]
    history: list[ChangeView]


def rights_view(request: RightsRequest) -> RightsView:
    """The view of ``request``."""
    return _view(
        RightsView, request, state=request.state.value, overdue=request.overdue(),
        next_states=[s.value for s in NEXT[request.state]], history=_changes(request.history),
    )  # fmt: skip


def _changes(history: Sequence[HistoryEntry[Any]]) -> list[ChangeView]:
    return [ChangeView(state=h.state.value, at=h.at, note=h.note) for h in history]


def _view(view: type[V], source: BaseModel, **computed: object) -> V:
    """``view`` of ``source``: the fields ``computed`` here, the others copied by name."""
    copied = {name: getattr(source, name) for name in view.model_fields if name not in computed}
    return view.model_validate({**copied, **computed})
