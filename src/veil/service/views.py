"""Response models of the person and operator APIs (so OpenAPI documents every answer)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from veil.consent.records import ConsentRecord
from veil.consent.rights import NEXT, RightsRequest


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
    return ConsentView(
        record_id=record.record_id,
        subject=record.subject,
        controller=record.controller,
        purposes=record.purposes,
        data_categories=record.data_categories,
        legal_basis=record.legal_basis,
        state=record.state.value,
        given_at=record.given_at,
        expires_at=record.expires_at,
        notice_version=record.notice_version,
        notice_digest=record.notice_digest,
        collection_method=record.collection_method,
        valid_now={p: record.is_valid(p) for p in record.purposes},
        history=[ChangeView(state=h.state.value, at=h.at, note=h.note) for h in record.history],
    )


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
    return RightsView(
        request_id=request.request_id,
        subject=request.subject,
        kind=request.kind,
        article=request.article,
        detail=request.detail,
        state=request.state.value,
        received_at=request.received_at,
        deadline=request.deadline,
        overdue=request.overdue(),
        refusal_reason=request.refusal_reason,
        next_states=[s.value for s in NEXT[request.state]],
        history=[ChangeView(state=h.state.value, at=h.at, note=h.note) for h in request.history],
    )
