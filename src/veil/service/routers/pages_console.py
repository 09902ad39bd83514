"""The operator console: sign-in form (``/console/login``), sign-out, and the dashboard.

The sign-in form is protected against login CSRF by a double-submitted token (a cookie and a
form field that must match) besides the Origin check of the login API; a successful sign-in
sets the same session and CSRF cookies as ``POST /api/v1/auth/login``.
"""

from __future__ import annotations

import secrets
from collections import Counter

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from veil.consent.records import ConsentState
from veil.service import accounts
from veil.service.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    current_principal,
    require,
    service_state,
)
from veil.service.cameras import list_cameras, poll_camera
from veil.service.deployments import deployments_compliance
from veil.service.forms import read_form
from veil.service.http_errors import as_http
from veil.service.pages.dashboard import recent_counts
from veil.service.pages.dashboard_charts import dashboard_charts
from veil.service.pages.i18n import translations
from veil.service.people import log_read, open_registry, rights_desk
from veil.service.routers.pages_common import html, page_language, see_other

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
staff = require("operator", "admin")
LOGIN_CSRF_COOKIE = "veil_login_csrf"
RECENT = 5000  # the dashboard counts the most recent entries
NEAR = 5  # rights requests shown on the dashboard


def _flags(request: Request) -> dict[str, object]:
    return {"secure": request.url.scheme == "https", "samesite": "strict", "path": "/"}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The sign-in form, with a fresh login CSRF token."""
    token = secrets.token_urlsafe(32)
    response = html(request, "console_login.html", csrf=token, error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, **_flags(request))  # type: ignore[arg-type]
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in: 400 without the form's token, 401 on a wrong name or password, 429 when
    rate-limited; else the session cookies and a redirect to the dashboard."""
    form = await read_form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not accounts.same_secret(form.get("csrf_token"), expected):
        return html(request, "console_login.html", status=400, csrf=None, error="expired")
    state = service_state(request)
    s = state.settings
    address = request.client.host if request.client else "unknown"
    try:
        acct = await run_in_threadpool(
            accounts.authenticate, state.db, form.get("name"), form.fields.get("password", ""),
            address, max_failures=s.login_max_failures, window_s=s.login_window_s,
        )  # fmt: skip
    except accounts.LoginRateLimited as exc:
        limited = html(request, "console_login.html", status=429, csrf=None, error="limited")
        limited.headers["Retry-After"] = str(exc.retry_after)
        return limited
    if acct is None:
        return html(request, "console_login.html", status=401, csrf=None, error="wrong")
    secret, session = await run_in_threadpool(
        accounts.create_session, state.db, acct, s.session_ttl_s
    )
    target = "/audit-ui" if acct.role == "auditor" else "/console"
    response = see_other(request, target)
    flags = _flags(request)
    response.set_cookie(SESSION_COOKIE, secret, max_age=s.session_ttl_s, httponly=True, **flags)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, session.csrf, max_age=s.session_ttl_s, **flags)  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, _: Principal = Depends(current_principal)) -> Response:
    """End the session, if any (a session's CSRF token is checked by the dependency), and go to
    the sign-in form."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(accounts.delete_session, service_state(request).db, cookie)
    response = see_other(request, "/console/login")
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, httponly=name == SESSION_COOKIE, **_flags(request))  # type: ignore[arg-type]
    return response


def session_csrf(request: Request) -> str | None:
    """The CSRF token of the request's session, for the forms of a page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = accounts.resolve_session(service_state(request).db, cookie) if cookie else None
    return session.csrf if session is not None else None


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """Cameras and their state, consents in force by purpose, rights requests nearest their
    deadline, each deployment's compliance findings, and charts of the recent events (by action
    and over time, recognitions by purpose, faces redacted by camera and over time)."""
    state = service_state(request)
    ledger = state.ledger()
    with as_http(), open_registry(state) as registry:
        in_force = Counter(
            p for r in registry.records(state=ConsentState.GIVEN) for p in r.purposes
            if r.is_valid(p)
        )  # fmt: skip
        near = rights_desk(state, registry).queue()[:NEAR]
        log_read(state, who, (r.subject for r in near))
    counts = recent_counts(ledger, RECENT)
    charts = dashboard_charts(counts, translations(page_language(request)))
    home = state.settings.veil_home()
    cameras = [poll_camera(c) for c in list_cameras(home)]
    with as_http():
        compliance = deployments_compliance(home)
    return html(
        request, "console.html", principal=who, csrf=session_csrf(request),
        in_force=sorted(in_force.items()), near=near, charts=charts, counts=counts,
        cameras=cameras, compliance=compliance,
    )  # fmt: skip
