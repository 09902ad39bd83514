"""All the HTML pages in one call: ``include_pages(app)`` mounts the page routers, ``/static``
(the pages' assets, served by Veil itself: no CDN) and the HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from veil.service.pages import STATIC_DIR
from veil.service.routers import (
    pages_audit,
    pages_console,
    pages_console_people,
    pages_console_site,
    pages_console_work,
    pages_person,
    pages_public,
)
from veil.service.routers.pages_errors import install_error_pages


def include_pages(app: FastAPI) -> None:
    """Add the public, person, operator and auditor pages to ``app``."""
    for module in (
        pages_public,
        pages_person,
        pages_console,
        pages_console_people,
        pages_console_site,
        pages_console_work,
        pages_audit,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)

    @app.get("/", include_in_schema=False)
    def home(_: Request) -> RedirectResponse:
        """The site's front door: the console's sign-in (people open their own link)."""
        return RedirectResponse("/console/login", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The icon browsers ask for on pages that name none (the check report)."""
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
