"""Public pages: the notice a deployment's QR code opens (``/notice/{name}``) and its printable
A4 sign (``/notice/{name}/sign``), in the visitor's language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from veil.service.auth import service_state
from veil.service.deployments import public_deployment
from veil.service.http_errors import as_http
from veil.service.pages import render_notice, sign_a4
from veil.service.routers.pages_common import finish, page_language

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/notice/{name}", response_class=HTMLResponse)
def notice_page(name: str, request: Request) -> HTMLResponse:
    """The deployment's public notice (404 for an unknown deployment)."""
    state = service_state(request)
    with as_http():
        public = public_deployment(state.settings.veil_home(), name, state.ledger())
    page = render_notice(public.notice, page_language(request), sign_url=f"/notice/{name}/sign")
    response = HTMLResponse(page)
    finish(request, response)
    return response


@router.get("/notice/{name}/sign", response_class=HTMLResponse)
def sign_page(name: str, request: Request) -> HTMLResponse:
    """The printable A4 sign whose QR code opens this deployment's notice."""
    state = service_state(request)
    with as_http():
        public = public_deployment(state.settings.veil_home(), name, state.ledger())
    url = str(request.url_for("notice_page", name=name))
    response = HTMLResponse(sign_a4(public.notice, url, page_language(request)))
    finish(request, response)
    return response
