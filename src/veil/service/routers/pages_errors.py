"""Errors on the pages are pages: an HTML answer in the reader's language with the same status
(and headers), one line of detail (translated when it is a known library message, see
``veil.service.pages.errors``), never a traceback. The API keeps its JSON errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from veil.service.pages.errors import library_text
from veil.service.routers.pages_common import html, page_language

PAGE_PREFIXES = ("/me", "/console", "/audit-ui", "/notice/")


def _kind(path: str, status: int) -> str:
    if status in (401, 403):
        return "person" if path.startswith("/me") else "signin"
    return "other"


def install_error_pages(app: FastAPI) -> None:
    """Answer HTTP errors under the page prefixes with :file:`message.html`."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if not request.url.path.startswith(PAGE_PREFIXES):
            return await http_exception_handler(request, exc)
        lang = page_language(request)
        detail = library_text(str(exc.detail), lang)
        response = html(
            request, "message.html", status=exc.status_code,
            title_key=_kind(request.url.path, exc.status_code), detail=detail.text,
            detail_lang=None if detail.lang == lang else "en",
        )  # fmt: skip
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(HTTPException, handler)
