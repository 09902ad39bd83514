"""``/api/v1/me``: the person's own data, with their capability link (``Bearer vp_...``).

Their consents; give one (for a registered deployment's purpose, naming the digest of the notice
they were shown) and withdraw one (as easy as giving, effective at once, a receipt either way);
their trace with inclusion proofs against the cosigned checkpoint; their rights requests (PIPL
Arts. 44-48) with state and deadline. Everything is looked up by the link's subject pseudonym:
another person's record is "not found", never shown.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from veil.consent.receipts import Receipt, give_consent, withdraw_consent
from veil.consent.registry import ConsentError
from veil.consent.rights import MAX_TEXT, RightsKind
from veil.ledger.person_trace import PersonTrace, person_trace
from veil.service.auth import Principal, require, service_state
from veil.service.deployments import deployment_info
from veil.service.http_errors import as_http
from veil.service.people import open_registry, records_of, rights_desk, subject_of
from veil.service.views import ConsentView, RightsView, consent_view, rights_view

router = APIRouter(prefix="/api/v1/me", tags=["person"])
person = require("person")
COLLECTION_METHOD = "person link (Veil service)"


class GiveConsent(BaseModel):
    """A person's consent to one purpose, under the notice they were shown."""

    deployment: str = Field(min_length=1, max_length=64, description="the deployment's name")
    purpose: str = Field(min_length=1, max_length=100)
    notice_digest: str = Field(description="digest of the notice shown (from the public API)")
    days: int = Field(365, ge=1, le=3650, description="how long the consent lasts")


class Withdraw(BaseModel):
    """An optional note kept with the person's withdrawal."""

    note: str | None = Field(None, max_length=500)


class NewRightsRequest(BaseModel):
    """A rights request by the person: its kind and any detail."""

    kind: RightsKind
    detail: str = Field("", max_length=MAX_TEXT)


def _subject(who: Principal) -> str:
    assert who.subject is not None  # a person principal always carries its subject
    return who.subject


@router.get("/consents", response_model=list[ConsentView])
def my_consents(request: Request, who: Principal = Depends(person)) -> list[ConsentView]:
    """The person's consent records, oldest first."""
    with as_http(), open_registry(service_state(request)) as registry:
        return [consent_view(r) for r in records_of(registry, _subject(who))]


@router.post("/consents", response_model=Receipt, status_code=201)
def give(body: GiveConsent, request: Request, who: Principal = Depends(person)) -> Receipt:
    """Give separate consent for one purpose of a deployment. 409 when the notice digest is not
    the deployment's current notice (the notice changed: read it again); 404 when the service
    has no record of this person yet (the operator records the first consent)."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        info = deployment_info(state.settings.veil_home(), body.deployment)
        if body.notice_digest != info.notice_digest:
            raise HTTPException(409, "this is not the deployment's current notice: read it again")
        subject = subject_of(registry, _subject(who))
        if subject is None:
            raise HTTPException(404, "no consent record of yours yet: ask the operator")
        return give_consent(
            registry, subject=subject, controller=info.controller, purposes=[body.purpose],
            notice_version=info.notice_version, notice_digest=info.notice_digest,
            collection_method=COLLECTION_METHOD, valid_for=timedelta(days=body.days),
        )  # fmt: skip


@router.post("/consents/{record_id}/withdraw", response_model=Receipt)
def withdraw(
    record_id: str, request: Request, body: Withdraw | None = None,
    who: Principal = Depends(person),
) -> Receipt:  # fmt: skip
    """Withdraw one of the person's consents, effective at once (face templates destroyed);
    answers with the receipt. Another person's record is 404."""
    with as_http(), open_registry(service_state(request)) as registry:
        mine = {r.record_id: r for r in records_of(registry, _subject(who))}
        if record_id not in mine:
            raise ConsentError(f"no consent record {record_id!r}")
        return withdraw_consent(
            registry, record_id, subject=mine[record_id].subject, note=body.note if body else None
        )


@router.get("/trace", response_model=PersonTrace)
def my_trace(request: Request, who: Principal = Depends(person)) -> PersonTrace:
    """Every ledger entry about the person, each with a C2SP tlog-proof against the latest
    cosigned checkpoint (newer entries are pending), reads by operators and auditors included."""
    with as_http():
        return person_trace(service_state(request).ledger(), _subject(who))


@router.get("/rights", response_model=list[RightsView])
def my_rights(request: Request, who: Principal = Depends(person)) -> list[RightsView]:
    """The person's rights requests with their state and deadline, oldest first."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        return [rights_view(r) for r in rights_desk(state, registry).for_subject(_subject(who))]


@router.post("/rights", response_model=RightsView, status_code=201)
def file_rights_request(
    body: NewRightsRequest, request: Request, who: Principal = Depends(person)
) -> RightsView:
    """File a request (access, copy, correction, deletion, explanation); it is ``received``
    with its deadline (15 working days)."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        desk = rights_desk(state, registry)
        return rights_view(desk.create(_subject(who), body.kind, body.detail))
