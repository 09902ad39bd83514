"""``/api/v1/operator``, people's side (operators and admins): purposes, consents (list, grant,
withdraw on a person's behalf), enrollment by photo upload, and the rights-request queue.

Every listing of people's records is logged as a read of each person in it (who looked at my
data). A person link for a subject is made with ``POST /api/v1/auth/person-links``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from veil.consent.receipts import Receipt, give_consent, withdraw_consent
from veil.consent.records import ConsentState, Purpose
from veil.consent.rights import MAX_TEXT
from veil.service import enrollment
from veil.service.auth import Principal, require, service_state
from veil.service.deployments import deployment_info
from veil.service.http_errors import as_http
from veil.service.people import log_read, open_registry, rights_desk
from veil.service.views import ConsentView, RightsView, consent_view, rights_view

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])
staff = require("operator", "admin")
COLLECTION_METHOD = "operator (Veil service)"


class NewPurpose(BaseModel):
    """A purpose to register; an access purpose names its non-biometric alternative."""

    name: str = Field(min_length=1, max_length=64)
    description: str = Field("", max_length=500)
    access: bool = False
    alternative: str | None = Field(None, max_length=500)


class Grant(BaseModel):
    """A consent recorded by staff on a person's behalf, under a deployment's notice."""

    subject_id: str = Field(min_length=1, max_length=200, description="the person's id")
    deployment: str = Field(min_length=1, max_length=64, description="whose notice was shown")
    purposes: list[str] = Field(min_length=1, max_length=20)
    collection_method: str = Field(COLLECTION_METHOD, min_length=1, max_length=100)
    days: int = Field(365, ge=1, le=3650)


class Note(BaseModel):
    """An optional note kept with a withdrawal."""

    note: str | None = Field(None, max_length=MAX_TEXT)


class EnrollmentView(BaseModel):
    """An enrolled photo: the consent record it is under and the templates now kept."""

    record_id: str
    purpose: str
    templates: int


class Step(BaseModel):
    """The next state of a rights request (a refusal gives its reason in ``note``)."""

    state: Literal["in_progress", "fulfilled", "refused"]
    note: str | None = Field(None, max_length=MAX_TEXT, description="a refusal's reason")


@router.get("/purposes", response_model=list[Purpose])
def list_purposes(request: Request, _: Principal = Depends(staff)) -> list[Purpose]:
    """Every declared purpose."""
    with as_http(), open_registry(service_state(request)) as registry:
        return registry.purposes()


@router.post("/purposes", response_model=Purpose, status_code=201)
def add_purpose(body: NewPurpose, request: Request, _: Principal = Depends(staff)) -> Purpose:
    """Declare a purpose (an access purpose must name its non-biometric alternative)."""
    with as_http(), open_registry(service_state(request)) as registry:
        return registry.declare_purpose(
            body.name, description=body.description, access=body.access,
            alternative=body.alternative,
        )  # fmt: skip


@router.get("/consents", response_model=list[ConsentView])
def list_consents(
    request: Request,
    subject_id: str | None = None,
    purpose: str | None = None,
    state: ConsentState | None = None,
    who: Principal = Depends(staff),
) -> list[ConsentView]:
    """Consent records, filtered; each person listed gets a read event in their trace."""
    svc = service_state(request)
    with as_http(), open_registry(svc) as registry:
        records = registry.records(subject=subject_id, purpose=purpose, state=state)
        log_read(svc, who, (svc.ledger().pseudonym(r.subject) for r in records))
        return [consent_view(r) for r in records]


@router.post("/consents", response_model=Receipt, status_code=201)
def grant(body: Grant, request: Request, _: Principal = Depends(staff)) -> Receipt:
    """Record a person's separate consent to the purposes of a deployment whose notice they
    were shown; the receipt is for the person."""
    svc = service_state(request)
    with as_http(), open_registry(svc) as registry:
        info = deployment_info(svc.settings.veil_home(), body.deployment)
        return give_consent(
            registry, subject=body.subject_id, controller=info.controller,
            purposes=body.purposes, notice_version=info.notice_version,
            notice_digest=info.notice_digest, collection_method=body.collection_method,
            valid_for=timedelta(days=body.days),
        )  # fmt: skip


@router.post("/consents/{record_id}/withdraw", response_model=Receipt)
def withdraw(
    record_id: str, request: Request, body: Note | None = None, _: Principal = Depends(staff)
) -> Receipt:
    """Withdraw a consent on the person's behalf, effective at once (templates destroyed)."""
    with as_http(), open_registry(service_state(request)) as registry:
        return withdraw_consent(registry, record_id, note=body.note if body else None)


@router.post(
    "/enrollments",
    response_model=EnrollmentView,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                f"image/{t}": {"schema": {"type": "string", "format": "binary"}}
                for t in ("jpeg", "png", "webp")
            },
        }
    },
)
async def enroll(
    request: Request, subject_id: str, purpose: str, _: Principal = Depends(staff)
) -> EnrollmentView:
    """Enroll one photo (the request body: JPEG, PNG or WebP) for a person with a valid consent
    for ``purpose``: exactly one face, large enough, as ``veil consent enroll`` checks."""
    from starlette.concurrency import run_in_threadpool

    data = await request.body()
    if not data:
        raise HTTPException(422, "send the photo as the request body")
    svc = service_state(request)

    def work() -> EnrollmentView:
        with as_http(), open_registry(svc) as registry:
            done = enrollment.enroll_upload(
                registry, subject_id, purpose, data, svc.settings.veil_home() / "uploads"
            )
            return EnrollmentView(
                record_id=done.record.record_id, purpose=purpose, templates=len(done.template_ids)
            )

    return await run_in_threadpool(work)


@router.get("/rights", response_model=list[RightsView])
def rights_queue(
    request: Request, include_closed: bool = False, who: Principal = Depends(staff)
) -> list[RightsView]:
    """The rights-request queue, the nearest deadline first (open ones, or all)."""
    svc = service_state(request)
    with as_http(), open_registry(svc) as registry:
        queue = rights_desk(svc, registry).queue(include_closed=include_closed)
        log_read(svc, who, (r.subject for r in queue))
        return [rights_view(r) for r in queue]


@router.post("/rights/{request_id}/steps", response_model=RightsView)
def rights_step(
    request_id: str, body: Step, request: Request, _: Principal = Depends(staff)
) -> RightsView:
    """Move a request on: ``received -> in_progress -> fulfilled | refused`` (a refusal needs
    its reason in ``note``). 400 for a step the request cannot take, 404 for an unknown id."""
    svc = service_state(request)
    with as_http(), open_registry(svc) as registry:
        desk = rights_desk(svc, registry)
        if body.state == "in_progress":
            done = desk.start(request_id, note=body.note)
        elif body.state == "fulfilled":
            done = desk.fulfil(request_id, note=body.note)
        else:
            done = desk.refuse(request_id, body.note or "")
        return rights_view(done)
