"""The person's pages under ``/me``, opened from their capability link.

``GET /me/{link}`` checks the link, stores it in the ``veil_person`` cookie (HttpOnly,
SameSite=Lax, path ``/me``, for the link's remaining life) and redirects to ``/me``, so the secret
leaves the address bar and the history at once. Every form carries the cookie's CSRF token.
Pages: consents (each deployment's full notice, whose digest is what gets recorded; one form per
purpose, so biometric consent is always its own act; withdrawal in one button), receipts, the
trace verified in the browser and its bundle, rights requests, and enrollment by photo upload
under a consent in force (its own act, after the consent).
"""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from veil.consent.receipts import give_consent, withdraw_consent
from veil.consent.records import Guardian, utcnow
from veil.consent.registry import ConsentError
from veil.consent.rights import ARTICLES
from veil.ledger.person_trace import person_trace
from veil.service import enrollment
from veil.service.auth import PERSON_COOKIE, Principal, person_csrf, require, service_state
from veil.service.deployments import deployment_info, deployment_names, public_deployment
from veil.service.forms import Form, read_form
from veil.service.http_errors import as_http
from veil.service.pages import render_trace
from veil.service.people import open_registry, records_of, rights_desk, subject_of
from veil.service.routers.pages_common import finish, html, page_language, see_other, witness_vkeys
from veil.service.tokens import resolve_person_link

router = APIRouter(prefix="/me", tags=["pages"], include_in_schema=False)
person = require("person")
COLLECTION_METHOD = "person page (Veil service)"
CONSENT_DAYS = 365


def _csrf(request: Request) -> str | None:
    secret = request.cookies.get(PERSON_COOKIE)
    return person_csrf(secret) if secret else None


def _subject(who: Principal) -> str:
    assert who.subject is not None  # a person principal always carries its subject
    return who.subject


@router.get("", response_class=HTMLResponse)
def me_page(request: Request, who: Principal = Depends(person)) -> HTMLResponse:
    """The person's consents, the notices they may consent to, and their rights requests."""
    state = service_state(request)
    home = state.settings.veil_home()
    with as_http(), open_registry(state) as registry:
        records = records_of(registry, _subject(who))
        purposes = registry.purposes()
        deployments = [public_deployment(home, n, state.ledger()) for n in deployment_names(home)]
        requests = rights_desk(state, registry).for_subject(_subject(who))
    given = {p for r in records if r.state.value == "given" for p in r.purposes}
    return html(
        request, "me.html", principal=who, csrf=_csrf(request), records=records,
        purposes=purposes, deployments=deployments, given=given, requests=requests,
        kinds=sorted(ARTICLES), known=bool(records),
    )  # fmt: skip


def _guardian(form: Form) -> tuple[bool, Guardian | None]:
    """Whether the consent is for a child under 14, and their parent's or guardian's consent
    (PIPL Art. 31): both names are needed for a child."""
    if form.get("under_14") != "yes":
        return False, None
    reference, relation = form.get("guardian"), form.get("relation")
    if not reference or relation not in ("parent", "guardian"):
        raise HTTPException(400, "for a child under 14, give the parent's or guardian's name")
    return True, Guardian(reference=reference, relation=relation, given_at=utcnow())


@router.post("/consents")
async def give(request: Request, who: Principal = Depends(person)) -> Response:
    """Give separate consent for one purpose, on the notice whose digest the form names."""
    form = await read_form(request)
    if form.get("agree") != "yes":
        raise HTTPException(400, "tick the box to give this consent, or simply do not")
    minor, guardian = _guardian(form)
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        info = deployment_info(state.settings.veil_home(), form.get("deployment"))
        if form.get("notice_digest") != info.notice_digest:
            raise HTTPException(409, "the notice changed since you read it: read it again")
        subject = subject_of(registry, _subject(who))
        if subject is None:
            raise HTTPException(404, "no consent record of yours yet: ask the operator")
        receipt = give_consent(
            registry, subject=subject, controller=info.controller,
            purposes=[form.get("purpose")], notice_version=info.notice_version,
            notice_digest=info.notice_digest, collection_method=COLLECTION_METHOD,
            valid_for=timedelta(days=CONSENT_DAYS), under_14=minor, guardian=guardian,
        )  # fmt: skip
    return see_other(request, f"/me/receipts/{receipt.record_id}")


@router.post("/consents/{record_id}/withdraw")
def withdraw(record_id: str, request: Request, who: Principal = Depends(person)) -> Response:
    """Withdraw one of the person's consents, effective at once (templates destroyed)."""
    with as_http(), open_registry(service_state(request)) as registry:
        mine = {r.record_id: r for r in records_of(registry, _subject(who))}
        if record_id not in mine:
            raise ConsentError(f"no consent record {record_id!r}")
        withdraw_consent(registry, record_id, subject=mine[record_id].subject)
    return see_other(request, f"/me/receipts/{record_id}")


@router.post("/consents/{record_id}/enroll")
async def enroll_photo(
    record_id: str, request: Request, who: Principal = Depends(person)
) -> Response:
    """Enroll an uploaded photo under one of the person's consents in force, with the CLI's
    checks (exactly one face, large enough); the photo is deleted at once."""
    form = await read_form(request)
    photo = form.files.get("photo")
    if photo is None or not photo.data:
        raise HTTPException(400, "choose a photo of your face to upload")
    state = service_state(request)

    def work() -> None:
        with as_http(), open_registry(state) as registry:
            mine = {r.record_id: r for r in records_of(registry, _subject(who))}
            if record_id not in mine:
                raise ConsentError(f"no consent record {record_id!r}")
            record = mine[record_id]
            scratch = state.settings.veil_home() / "uploads"
            enrollment.enroll_upload(
                registry, record.subject, record.purposes[0], photo.data, scratch
            )

    await run_in_threadpool(work)
    return see_other(request, f"/me/receipts/{record_id}")


@router.get("/receipts/{record_id}", response_class=HTMLResponse)
def receipt_page(record_id: str, request: Request, who: Principal = Depends(person)) -> Response:
    """The receipts of one of the person's consents: each change and its ledger entry."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        mine = {r.record_id: r for r in records_of(registry, _subject(who))}
        if record_id not in mine:
            raise ConsentError(f"no consent record {record_id!r}")
        entries = [
            (i, e) for i, e in state.ledger().entries_for_subject(_subject(who))
            if e.consent_ref == record_id
        ]  # fmt: skip
    return html(request, "receipt.html", principal=who, record=mine[record_id], entries=entries)


@router.get("/trace", response_class=HTMLResponse)
def trace_page(request: Request, who: Principal = Depends(person)) -> HTMLResponse:
    """Every event about the person, each entry verified by their browser."""
    state = service_state(request)
    ledger = state.ledger()
    with as_http():
        trace = person_trace(ledger, _subject(who))
    page = render_trace(
        trace, page_language(request), ledger.vkey, witness_vkeys(state.settings),
        bundle_url="/me/trace/bundle", person_csrf=_csrf(request),
    )  # fmt: skip
    response = HTMLResponse(page)
    finish(request, response)
    return response


@router.get("/trace/bundle")
def trace_bundle(request: Request, who: Principal = Depends(person)) -> Response:
    """The proofs of the trace, for ``veil ledger verify-bundle`` or any tlog tool."""
    with as_http():
        bundle = person_trace(service_state(request).ledger(), _subject(who)).bundle()
    response = Response(bundle, media_type="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="veil-trace.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/rights")
async def file_rights(request: Request, who: Principal = Depends(person)) -> Response:
    """File a rights request (access, copy, correction, deletion, explanation)."""
    form = await read_form(request)
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        rights_desk(state, registry).create(_subject(who), form.get("kind"), form.get("detail"))
    return see_other(request, "/me#rights")


@router.post("/leave")
def leave(request: Request, _: Principal = Depends(person)) -> Response:
    """Forget the link in this browser (the link itself still works where it was sent)."""
    response = see_other(request, "/")
    response.delete_cookie(PERSON_COOKIE, path="/me", httponly=True, samesite="lax")
    return response


@router.get("/{link}")
def open_link(link: str, request: Request) -> Response:
    """Open a capability link: keep it in an HttpOnly cookie and go to ``/me`` (the link is not
    left in the address bar); an unknown, expired or revoked link is 404."""
    found = resolve_person_link(service_state(request).db, link)
    if found is None:
        return html(request, "message.html", status=404, title_key="link", detail=None)
    response = RedirectResponse("/me", status_code=303)
    finish(request, response)
    response.set_cookie(
        PERSON_COOKIE, link, max_age=max(1, int(found.expires_at - time.time())),
        path="/me", httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )  # fmt: skip
    return response
