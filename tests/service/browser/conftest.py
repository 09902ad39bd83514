"""Browser tests: Playwright driving Debian's chromium (never a browser download).

Pages are served by a tiny local HTTP server (:class:`harness.PageServer`) with the CSP the
service will send (no inline script or style), so a page that needs inline code breaks here too.
Tests skip with a reason when playwright or chromium is missing; the accessibility checks skip
without axe-core (``make install`` puts it in .cache/npm when npm exists).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from tests.service.browser.harness import VIEWPORTS, PageServer, handler_class
from tests.service.browser.live import live  # noqa: F401  (the running service fixture)


@pytest.fixture
def server() -> Iterator[PageServer]:
    """A page server on a free local port, stopped after the test."""
    pages = PageServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(pages))
    pages.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium under Playwright (``--no-sandbox`` when running as root)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (make install installs Debian's package)")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=args)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Each test using this runs at a phone's and a desktop's viewport."""
    return str(request.param)
