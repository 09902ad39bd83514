"""The operator console's site pages: cameras (each registered ``veil stream --serve`` health
endpoint polled now: state, frames, faces redacted, frames blanked; register and forget one),
enrollment by photo upload (the CLI's checks), and the ledger with its witnesses (status,
witness policy, checkpoints and who cosigned each)."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from veil.consent.enroll import Enrollment
from veil.ledger.published import checkpoint_view
from veil.service import cameras as cams
from veil.service import enrollment
from veil.service.auth import Principal, require, service_state
from veil.service.forms import read_form
from veil.service.http_errors import as_http
from veil.service.people import open_registry
from veil.service.routers.pages_common import html, see_other, witness_vkeys
from veil.service.routers.pages_console import session_csrf

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
staff = require("operator", "admin")
CHECKPOINTS_SHOWN = 20


@router.get("/cameras", response_class=HTMLResponse)
async def cameras_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """Every registered camera, asked for its health now, and the form to register one."""
    home = service_state(request).settings.veil_home()
    found = await run_in_threadpool(cams.list_cameras, home)
    polled = [await run_in_threadpool(cams.poll_camera, c) for c in found]
    return html(
        request, "console_cameras.html", principal=who, csrf=session_csrf(request),
        cameras=polled,
    )  # fmt: skip


@router.post("/cameras")
async def add_camera(request: Request, _: Principal = Depends(staff)) -> Response:
    """Register (or replace) a camera by its ``veil stream --serve`` health URL."""
    form = await read_form(request)
    name = form.get("name")
    if not cams.NAME.fullmatch(name):
        raise HTTPException(
            400, f"invalid camera name {name!r}: letters, digits, - _ . (at most 64)"
        )
    try:
        camera = cams.Camera(
            name=name, health_url=form.get("health_url"),
            stream_camera=form.get("stream_camera") or None,
        )  # fmt: skip
    except ValidationError as exc:
        why = str(exc.errors()[0].get("msg", "not valid")).removeprefix("Value error, ")
        raise HTTPException(400, why) from None
    with as_http():
        cams.register_camera(service_state(request).settings.veil_home(), camera)
    return see_other(request, "/console/cameras")


@router.post("/cameras/{name}/remove")
def remove_camera(name: str, request: Request, _: Principal = Depends(staff)) -> Response:
    """Forget a registered camera."""
    with as_http():
        cams.remove_camera(service_state(request).settings.veil_home(), name)
    return see_other(request, "/console/cameras")


def _purposes(request: Request) -> list[str]:
    with as_http(), open_registry(service_state(request)) as registry:
        return [p.name for p in registry.purposes()]


@router.get("/enrollment", response_class=HTMLResponse)
def enrollment_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """The form to enroll a person's photo under their consent for a purpose."""
    return html(
        request, "console_enrollment.html", principal=who, csrf=session_csrf(request),
        purposes=_purposes(request), done=None,
    )  # fmt: skip


@router.post("/enrollment", response_class=HTMLResponse)
async def enroll_photo(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """Enroll the uploaded photo: a valid consent for the purpose, exactly one face, big enough
    (as ``veil consent enroll``); the photo itself is deleted at once."""
    form = await read_form(request)
    upload = form.files.get("photo")
    subject, purpose = form.get("subject_id"), form.get("purpose")
    if not subject or not purpose or upload is None or not upload.data:
        raise HTTPException(400, "name the person and the purpose, and choose a photo")
    svc = service_state(request)

    def work() -> Enrollment:
        with as_http(), open_registry(svc) as registry:
            return enrollment.enroll_upload(
                registry, subject, purpose, upload.data, svc.settings.veil_home() / "uploads"
            )

    done = await run_in_threadpool(work)
    return html(
        request, "console_enrollment.html", principal=who, csrf=session_csrf(request),
        purposes=_purposes(request), done=done, subject_id=subject, purpose=purpose,
    )  # fmt: skip


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """The ledger's size and key, the witness policy, and the newest checkpoints with the
    witnesses that cosigned each."""
    state = service_state(request)
    ledger = state.ledger()
    s = state.settings
    with as_http():
        status = ledger.status()
        newest = list(reversed(ledger.checkpoints()))[:CHECKPOINTS_SHOWN]
        views = [(cp, checkpoint_view(ledger, cp)) for cp in newest]
    configured = list(s.witnesses)
    quorum = len(configured) if s.witness_quorum is None else s.witness_quorum
    return html(
        request, "console_ledger.html", principal=who, csrf=session_csrf(request),
        ledger_status=status, root=base64.b64encode(status.root).decode(), checkpoints=views, configured=configured, quorum=quorum,
        witness_keys=list(s.witness_keys) or witness_vkeys(s), interval=s.witness_interval_s,
    )  # fmt: skip
