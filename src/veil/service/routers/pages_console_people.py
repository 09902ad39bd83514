"""The console's consent registry: the records (each person listed gets a read event in their
trace), recording a consent given at the desk on a deployment's notice, withdrawing one on the
person's behalf, and making a person's capability link (shown once)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from veil.consent.receipts import give_consent, withdraw_consent
from veil.service import tokens
from veil.service.auth import Principal, require, service_state
from veil.service.deployments import deployment_info, deployment_names
from veil.service.forms import read_form
from veil.service.http_errors import as_http
from veil.service.people import log_read, open_registry
from veil.service.routers.pages_common import html, see_other
from veil.service.routers.pages_console import session_csrf

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
staff = require("operator", "admin")
COLLECTION_METHOD = "at the desk (Veil console)"
CONSENT_DAYS = 365
LINK_DAYS = 30


@router.get("/consents", response_class=HTMLResponse)
def consents_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """The consent records, newest first, and the forms to record one and to make a link."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        records = sorted(registry.records(), key=lambda r: r.given_at, reverse=True)
        purposes = registry.purposes()
        log_read(state, who, {state.ledger().pseudonym(r.subject) for r in records})
    return html(
        request, "console_consents.html", principal=who, csrf=session_csrf(request),
        records=records, purposes=purposes,
        deployments=deployment_names(state.settings.veil_home()), link=None,
    )  # fmt: skip


@router.post("/consents")
async def record_consent(request: Request, _: Principal = Depends(staff)) -> Response:
    """Record a consent the person gave at the desk, on the deployment's current notice."""
    form = await read_form(request)
    if form.get("shown") != "yes":
        raise HTTPException(400, "a consent needs the notice shown to the person first")
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        info = deployment_info(state.settings.veil_home(), form.get("deployment"))
        give_consent(
            registry, subject=form.get("subject_id"), controller=info.controller,
            purposes=[form.get("purpose")], notice_version=info.notice_version,
            notice_digest=info.notice_digest, collection_method=COLLECTION_METHOD,
            valid_for=timedelta(days=CONSENT_DAYS),
        )  # fmt: skip
    return see_other(request, "/console/consents")


@router.post("/consents/{record_id}/withdraw")
def withdraw(record_id: str, request: Request, _: Principal = Depends(staff)) -> Response:
    """Withdraw a consent on the person's behalf, effective at once (templates destroyed)."""
    with as_http(), open_registry(service_state(request)) as registry:
        withdraw_consent(registry, record_id, note="withdrawn at the desk")
    return see_other(request, "/console/consents")


@router.post("/links", response_class=HTMLResponse)
async def make_link(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """A capability link for one person, shown on this page only (never stored in clear)."""
    form = await read_form(request)
    subject_id = form.get("subject_id")
    if not subject_id:
        raise HTTPException(400, "name the person the link is for")
    state = service_state(request)
    secret, _ = tokens.create_person_link(
        state.db, state.ledger().pseudonym(subject_id), LINK_DAYS * 86400, created_by=who.account
    )
    url = str(request.url_for("open_link", link=secret))
    return html(
        request, "console_link.html", principal=who, csrf=session_csrf(request), link=url,
        subject_id=subject_id, days=LINK_DAYS,
    )  # fmt: skip
