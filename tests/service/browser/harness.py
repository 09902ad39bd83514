"""The browser-test harness: a local page server with the service's CSP, pages at a viewport,
screenshots under test-artifacts/browser/ (git-ignored) and axe-core checks."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from veil.service.pages import STATIC_DIR

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts" / "browser"
AXE_JS = Path(os.environ.get("VEIL_AXE_JS", REPO / ".cache/npm/node_modules/axe-core/axe.min.js"))
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@dataclass(frozen=True)
class Request:
    """What a page handler sees of a request."""

    path: str
    query: dict[str, str]
    accept_language: str | None


# a handler returns (content type, body) or None for 404
Handler = Callable[[Request], "tuple[str, bytes] | None"]


@dataclass
class PageServer:
    """Serves ``routes`` (path -> handler) and /static/ from the package, on 127.0.0.1."""

    routes: dict[str, Handler] = field(default_factory=dict)
    base_url: str = ""

    def add(self, path: str, handler: Handler) -> str:
        """Register ``handler`` at ``path``; returns the page's absolute URL."""
        self.routes[path] = handler
        return self.base_url + path

    def page(self, path: str, html: str) -> str:
        """Serve fixed HTML at ``path``; returns its URL."""
        return self.add(path, lambda _r: ("text/html; charset=utf-8", html.encode()))

    def _handle(self, req: Request) -> tuple[str, bytes] | None:
        if req.path.startswith("/static/"):
            name = req.path[len("/static/") :]
            target = (STATIC_DIR / name).resolve()
            if STATIC_DIR.resolve() not in target.parents or not target.is_file():
                return None
            kind = "text/javascript" if target.suffix == ".js" else mimetypes.guess_type(name)[0]
            return (kind or "application/octet-stream", target.read_bytes())
        handler = self.routes.get(req.path)
        return handler(req) if handler else None


def handler_class(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class _H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            got = server._handle(Request(url.path, query, self.headers.get("Accept-Language")))
            if got is None:
                self.send_error(404)
                return
            kind, body = got
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _H


class PageErrors(list[str]):
    """Console errors and uncaught exceptions of a page (CSP violations land here)."""


def open_page(
    browser: Any, viewport: str, *, locale: str = "en-US", timezone: str = "UTC"
) -> tuple[Any, PageErrors]:
    """A fresh context and page at ``viewport``; returns the page and its error log."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], locale=locale, timezone_id=timezone, accept_downloads=True
    )
    page = context.new_page()
    errors = PageErrors()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/browser/; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_accessibility(page: Any) -> None:
    """Run axe-core on the page; fail on serious or critical violations (skip without axe)."""
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core not found at {AXE_JS} (make install puts it there with npm)")
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, "axe-core found:\n" + "\n".join(bad)
