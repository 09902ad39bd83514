"""``/api/v1/auth``: login (session cookie + CSRF token), logout, whoami, API tokens (admin) and
person capability links (operators hand them to a person at consent time)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from veil.service import accounts, tokens
from veil.service.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    current_principal,
    require,
    service_state,
)
from veil.service.tokens import ApiToken, PersonLink


class LoginRequest(BaseModel):
    """An account's name and password (JSON or a form)."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class WhoAmI(BaseModel):
    """The caller: its role, and its account (staff) or subject pseudonym (a person)."""

    role: str
    account: str | None = None
    subject: str | None = None
    name: str | None = None


class LoginResponse(WhoAmI):
    """A new session: who signed in, the CSRF token for writes, and when it ends."""

    csrf_token: str
    expires_at: int


class TokenRequest(BaseModel):
    """An API token to create: its role, a label and an optional lifetime in seconds."""

    role: Literal["operator", "auditor"]
    label: str = Field(min_length=1, max_length=100)
    ttl_s: int | None = Field(None, gt=0)


@dataclass(frozen=True)
class NewToken(ApiToken):
    """A created API token with its secret, which no later answer shows."""

    token: str


class LinkRequest(BaseModel):
    """A person link to create for one subject id, valid ``ttl_s`` seconds."""

    subject_id: str = Field(min_length=1, max_length=200)
    ttl_s: int = Field(30 * 86400, gt=0, le=tokens.MAX_LINK_TTL_S)


@dataclass(frozen=True)
class NewLink(PersonLink):
    """A created person link with its secret, which no later answer shows."""

    link: str


_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
        },
    }
}


async def _login_request(request: Request) -> LoginRequest:
    raw = await request.body()
    try:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(raw.decode("utf-8", "replace"))
            return LoginRequest(**{k: v[0] for k, v in form.items() if k in ("name", "password")})
        return LoginRequest.model_validate(json.loads(raw or b"null"))
    except (ValueError, ValidationError):
        raise HTTPException(422, "send name and password as JSON or a form") from None


def _cookie_flags(request: Request) -> dict[str, Any]:
    return {"secure": request.url.scheme == "https", "samesite": "strict", "path": "/"}


router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
admin = require("admin")
staff = require("operator", "admin")


@router.post("/login", response_model=LoginResponse, openapi_extra=_LOGIN_BODY)
async def login(request: Request, response: Response) -> LoginResponse:
    """Sign in with an account's name and password: sets the session cookie, returns the CSRF
    token (also in the ``veil_csrf`` cookie). 401 on a bad login, 429 when rate-limited, 403
    when the browser says the form came from another site (login CSRF)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "a login from another site is refused")
    body = await _login_request(request)
    state = service_state(request)
    s = state.settings
    address = request.client.host if request.client else "unknown"
    try:
        acct = await run_in_threadpool(
            accounts.authenticate, state.db, body.name, body.password, address,
            max_failures=s.login_max_failures, window_s=s.login_window_s,
        )  # fmt: skip
    except accounts.LoginRateLimited as exc:
        raise HTTPException(429, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    if acct is None:
        raise HTTPException(401, "wrong account name or password")
    secret, session = await run_in_threadpool(
        accounts.create_session, state.db, acct, s.session_ttl_s
    )
    flags = _cookie_flags(request)
    response.set_cookie(SESSION_COOKIE, secret, max_age=s.session_ttl_s, httponly=True, **flags)
    response.set_cookie(CSRF_COOKIE, session.csrf, max_age=s.session_ttl_s, **flags)
    response.headers["Cache-Control"] = "no-store"
    return LoginResponse(
        role=acct.role, account=acct.pseudonym, name=acct.name,
        csrf_token=session.csrf, expires_at=session.expires_at,
    )  # fmt: skip


@router.post("/logout", status_code=204, response_class=Response)
async def logout(request: Request, _: Principal = Depends(current_principal)) -> Response:
    """End the session (CSRF token required with a session cookie) and clear its cookies."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(accounts.delete_session, service_state(request).db, cookie)
    response = Response(status_code=204)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, httponly=name == SESSION_COOKIE, **_cookie_flags(request))
    return response


@router.get("/whoami", response_model=WhoAmI)
async def whoami(principal: Principal = Depends(current_principal)) -> WhoAmI:
    """The caller's role, account pseudonym and (for a person) subject pseudonym."""
    return WhoAmI(
        role=principal.role, account=principal.account, subject=principal.subject,
        name=principal.name,
    )  # fmt: skip


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(body: TokenRequest, request: Request, who: Principal = Depends(admin)) -> NewToken:
    """Create an API token scoped to a role; its secret is in this answer only (admin)."""
    secret, tok = tokens.create_token(
        service_state(request).db, body.role, body.label, created_by=who.account, ttl_s=body.ttl_s
    )
    return NewToken(token=secret, **asdict(tok))


@router.get("/tokens", response_model=list[ApiToken])
def list_tokens(request: Request, _: Principal = Depends(admin)) -> list[ApiToken]:
    """Every API token (never a secret), revoked ones marked (admin)."""
    return tokens.list_tokens(service_state(request).db)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(token_id: str, request: Request, _: Principal = Depends(admin)) -> Response:
    """Revoke an API token, effective at once (admin). 404 when no live token has this id."""
    if not tokens.revoke_token(service_state(request).db, token_id):
        raise HTTPException(404, "no live token with this id")
    return Response(status_code=204)


@router.post("/person-links", response_model=NewLink, status_code=201)
def create_person_link(
    body: LinkRequest, request: Request, who: Principal = Depends(staff)
) -> NewLink:
    """A capability link for one subject, to hand to the person; its secret is in this answer
    only (operator, admin). The link is bound to the subject's ledger pseudonym."""
    state = service_state(request)
    subject = state.ledger().pseudonym(body.subject_id)
    secret, link = tokens.create_person_link(state.db, subject, body.ttl_s, created_by=who.account)
    return NewLink(link=secret, **asdict(link))


@router.get("/person-links", response_model=list[PersonLink])
def list_person_links(
    request: Request, subject_id: str | None = None, _: Principal = Depends(staff)
) -> list[PersonLink]:
    """Person links (never a secret), only one subject's with ``subject_id`` (operator, admin)."""
    state = service_state(request)
    subject = state.ledger().pseudonym(subject_id) if subject_id else None
    return tokens.list_person_links(state.db, subject)


@router.delete("/person-links/{link_id}", status_code=204, response_class=Response)
def revoke_person_link(link_id: str, request: Request, _: Principal = Depends(staff)) -> Response:
    """Revoke a person link, effective at once (operator, admin)."""
    if not tokens.revoke_person_link(service_state(request).db, link_id):
        raise HTTPException(404, "no live person link with this id")
    return Response(status_code=204)
