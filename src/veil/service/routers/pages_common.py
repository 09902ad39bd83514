"""What every page router shares: the page's language (``?lang=`` remembered in a cookie), the
strict page CSP, HTML responses, and the witness keys the trace page prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from veil.service.auth import Principal
from veil.service.pages import labels
from veil.service.pages.env import render
from veil.service.pages.i18n import Language, choose_language
from veil.service.settings import ServiceSettings

LANG_COOKIE = "veil_lang"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def page_language(request: Request) -> Language:
    """``?lang=`` (the switch), else the remembered choice, else ``Accept-Language``."""
    override = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return choose_language(request.headers.get("accept-language"), override)


def html(
    request: Request, template: str, *, status: int = 200, principal: Principal | None = None,
    csrf: str | None = None, **context: Any,
) -> HTMLResponse:  # fmt: skip
    """Render ``template`` in the page's language as an uncached response with the page CSP."""
    lang = page_language(request)
    body = render(
        template, lang, "/static", principal=principal, csrf=csrf,
        here=request.url.path, labels=labels, label=labels.label, **context,
    )  # fmt: skip
    response = HTMLResponse(body, status_code=status)
    finish(request, response)
    return response


def finish(request: Request, response: Any) -> None:
    """The page headers: CSP, no caching (pages hold personal data), the language choice."""
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    chosen = request.query_params.get("lang")
    if chosen in ("en", "zh-CN"):
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax", path="/")


def see_other(request: Request, url: str) -> RedirectResponse:
    """A 303 to ``url`` (after a form: the browser then GETs the result)."""
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response


def witness_vkeys(settings: ServiceSettings) -> list[str]:
    """The keys of the witnesses the service knows locally (``witness_home`` and the folders in
    ``witnesses``): the trace page prints them and the browser checks each cosignature."""
    from veil.ledger.witness import Witness

    folders = [settings.witness_home] if settings.witness_home else []
    folders += [Path(w) for w in settings.witnesses if "://" not in w]
    keys: list[str] = []
    for folder in folders:
        if folder is not None and folder.is_dir():
            vkey = Witness.open(folder).vkey
            if vkey not in keys:
                keys.append(vkey)
    return keys
