"""/docs: Swagger UI served by Veil itself (no CDN, no inline script), under the CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from tests.service.conftest import client_for
from veil.service import api_docs


class _Refs(HTMLParser):
    """Every src/href the page names, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)
            assert not name.startswith("on"), f"inline handler {name} on <{tag}>"
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _csp(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_docs_page_and_every_asset_come_from_veil_under_the_csp(app: FastAPI) -> None:
    c = client_for(app)
    page = c.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = _csp(page.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert all("unsafe" not in v and "http" not in v for vs in policy.values() for v in vs)
    assert page.headers["x-content-type-options"] == "nosniff"
    parsed = _Refs()
    parsed.feed(page.text)
    assert len(parsed.scripts) == 2 and all(not s.strip() for s in parsed.scripts)
    assert parsed.refs, "the page names its assets"
    bodies = {}
    for ref in parsed.refs:
        assert ref.startswith("/") and not ref.startswith("//"), f"{ref} is not Veil's own"
        r = c.get(ref)
        assert r.status_code == 200 and r.content, ref
        assert r.headers["x-content-type-options"] == "nosniff"
        kind = "text/javascript" if ref.endswith(".js") else "text/css"
        assert r.headers["content-type"].startswith(kind), ref
        bodies[ref.rsplit("/", 1)[1]] = r.text
    # the bundle is Swagger UI 5 (it renders OpenAPI 3.1, which /openapi.json is)
    assert "SwaggerUIBundle" in bodies["swagger-ui-bundle.js"]
    assert re.search(r"3\\\.1\\\.", bodies["swagger-ui-bundle.js"])
    assert c.get("/openapi.json").json()["openapi"].startswith("3.1")
    init = bodies["veil-docs.js"]
    assert '"/openapi.json"' in init and "SwaggerUIBundle(" in init
    assert "http" not in init  # nothing fetched from elsewhere
    for bundle in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert "//cdn" not in bodies[bundle] and "unpkg.com" not in bodies[bundle]


@pytest.mark.parametrize(
    "name", ["LICENSE", "swagger-ui.js", "..%2f..%2fapp.py", "favicon-32x32.png", "%2e%2e"]
)
def test_only_the_pages_assets_are_served(app: FastAPI, name: str) -> None:
    r = client_for(app).get("/docs/assets/" + name)
    assert r.status_code == 404 and b"import" not in r.content


def test_docs_answer_503_without_the_package(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_docs, "swagger_ui_folder", lambda: None)
    api_docs.asset_bytes.cache_clear()
    try:
        c = client_for(app)
        assert c.get("/docs").status_code == 503
        assert c.get("/docs/assets/swagger-ui-bundle.js").status_code == 503
        assert c.get("/openapi.json").status_code == 200  # the service itself runs on
    finally:
        api_docs.asset_bytes.cache_clear()
