"""Who is calling: FastAPI dependencies ``current_principal`` and ``require(*roles)``.

Credentials, in order: ``Authorization: Bearer vt_...`` (an API token, scoped to a role),
``Authorization: Bearer vp_...`` (a person's capability link, bound to one subject), else the
``veil_session`` cookie, else the ``veil_person`` cookie a browser gets from ``GET /me/{link}``
(the link itself, HttpOnly, path ``/me``; its CSRF token is derived from it). A bearer credential that is unknown, revoked or expired is refused (401),
never downgraded to anonymous. A cookie-authenticated request that changes anything (POST, PUT,
PATCH, DELETE) must carry the session's CSRF token in ``X-CSRF-Token`` or a ``csrf_token`` form
field; bearer requests need none (a browser never adds them on its own).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from veil.service.accounts import Role, resolve_session, same_secret
from veil.service.tokens import LINK_PREFIX, resolve_person_link, resolve_token

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from veil.service.state import ServiceState

SESSION_COOKIE = "veil_session"
CSRF_COOKIE = "veil_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
PERSON_COOKIE = "veil_person"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLES: tuple[Role, ...] = ("anonymous", "person", "operator", "auditor", "admin")


@dataclass(frozen=True)
class Principal:
    """The caller: a role, the account (or token) pseudonym, and for persons their subject."""

    role: Role
    account: str | None = None
    subject: str | None = None
    name: str | None = None  # the account name (sessions only)
    via: Literal["session", "token", "link"] | None = None


ANONYMOUS = Principal("anonymous")


def service_state(request: Request) -> ServiceState:
    """The app's :class:`~veil.service.state.ServiceState`."""
    state: ServiceState = request.app.state.veil
    return state


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def person_csrf(link_secret: str) -> str:
    """The CSRF token of a browser holding ``link_secret`` in its person cookie (an HMAC of
    the secret: only a page served to that browser can know it)."""
    return hmac.new(link_secret.encode(), b"veil person csrf", hashlib.sha256).hexdigest()


async def _csrf_ok(request: Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "")
    if given is None and kind.startswith("application/x-www-form-urlencoded"):
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        values = form.get(CSRF_FIELD)
        given = values[0] if values else None
    elif given is None and kind.startswith("multipart/form-data"):  # a file upload form
        from veil.service.forms import parse_form

        given = parse_form(kind, await request.body()).fields.get(CSRF_FIELD)
    return given is not None and same_secret(given, expected)


def principal_from_credentials(
    state: ServiceState, request: Request
) -> tuple[Principal, str | None]:
    """The principal the request's credentials name, and the session's CSRF token when it came
    from a session cookie (raises 401 for a bad bearer credential). Blocking: database reads."""
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, secret = auth.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise _unauthorized("use Authorization: Bearer <token>")
        if secret.startswith(LINK_PREFIX):
            link = resolve_person_link(state.db, secret)
            if link is None:
                raise _unauthorized("this person link is unknown, expired or revoked")
            return Principal("person", None, link.subject, via="link"), None
        tok = resolve_token(state.db, secret)
        if tok is None:
            raise _unauthorized("this API token is unknown, expired or revoked")
        return Principal(tok.role, tok.pseudonym, via="token"), None  # type: ignore[arg-type]
    cookie = request.cookies.get(SESSION_COOKIE)
    session = resolve_session(state.db, cookie) if cookie else None
    if session is None:
        return _person_cookie(state, request)
    acct = session.account
    return Principal(acct.role, acct.pseudonym, name=acct.name, via="session"), session.csrf


def _person_cookie(state: ServiceState, request: Request) -> tuple[Principal, str | None]:
    secret = request.cookies.get(PERSON_COOKIE)
    link = resolve_person_link(state.db, secret) if secret else None
    if secret is None or link is None:
        return ANONYMOUS, None  # no cookie or a stale one: public routes still work
    return Principal("person", None, link.subject, via="link"), person_csrf(secret)


async def resolve_principal(request: Request) -> Principal:
    """The principal of ``request`` (401 for a bad bearer, 403 for a missing CSRF token)."""
    principal, csrf = await run_in_threadpool(
        principal_from_credentials, service_state(request), request
    )
    needs_csrf = csrf is not None and request.method not in SAFE_METHODS
    if needs_csrf and not await _csrf_ok(request, str(csrf)):
        raise HTTPException(403, "missing or wrong CSRF token (X-CSRF-Token or csrf_token)")
    return principal


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller, cached on the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = await resolve_principal(request)
    request.state.principal = principal
    return principal


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets only ``roles`` through (401 when anonymous, 403 otherwise)."""
    allowed = frozenset(roles)

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role in allowed:
            return principal
        if principal.role == "anonymous":
            raise _unauthorized("sign in or present a token")
        raise HTTPException(403, f"this needs the role {' or '.join(sorted(allowed))}")

    return dependency
