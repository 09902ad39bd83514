"""``/docs``: interactive API docs (Swagger UI) served by Veil itself, offline, under the CSP.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN and starts it with an inline script,
which the service's CSP (``script-src 'self'``) forbids. Here the page is static HTML whose
scripts are files Veil serves: Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes) from
the ``swagger-ui-py`` package's copy of the upstream distribution, and a small start script
(:data:`INIT_JS`). Only the files the page names are served (an allowlist, never a path from the
request). The page's CSP is the service's own with one addition, ``img-src 'self' data:`` (Swagger
UI's icons are data: URIs in its stylesheet); scripts stay ``'self'`` only. Without the package
installed, ``/docs`` answers 503 and the rest of the service runs as before.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from veil.service.middleware import CSP

ASSETS_PREFIX = "/docs/assets/"
DOCS_CSP = CSP.replace("; frame-ancestors", "; img-src 'self' data:; frame-ancestors")
ASSET_CACHE = "public, max-age=86400"
# name served under /docs/assets/ -> (file in the package's static folder, or None: ours; type)
ASSETS: dict[str, tuple[str | None, str]] = {
    "swagger-ui.css": ("swagger-ui.css", "text/css; charset=utf-8"),
    "index.css": ("index.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "veil-docs.js": (None, "text/javascript; charset=utf-8"),
}
INIT_JS = """\
// Starts Swagger UI on Veil's OpenAPI document (a file, not an inline script: the CSP).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
  });
});
"""
PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Veil API</title>
<link rel="stylesheet" href="{ASSETS_PREFIX}swagger-ui.css">
<link rel="stylesheet" href="{ASSETS_PREFIX}index.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PREFIX}swagger-ui-bundle.js"></script>
<script src="{ASSETS_PREFIX}veil-docs.js"></script>
</body>
</html>
"""


def swagger_ui_folder() -> Path | None:
    """The static folder of the installed ``swagger-ui-py`` package (not imported), or None."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


@cache
def asset_bytes(name: str) -> bytes:
    """The bytes of one allowed asset (read once); :class:`KeyError` for any other name,
    :class:`FileNotFoundError` when the package is not installed."""
    source, _ = ASSETS[name]
    if source is None:
        return INIT_JS.encode()
    folder = swagger_ui_folder()
    if folder is None:
        raise FileNotFoundError("the swagger-ui-py package is not installed")
    return (folder / source).read_bytes()


def _unavailable() -> HTTPException:
    return HTTPException(503, "interactive docs need the swagger-ui-py package; see /openapi.json")


def docs_router() -> APIRouter:
    """``GET /docs`` (the page) and ``GET /docs/assets/{name}`` (its files), public."""
    router = APIRouter(tags=["service"])

    @router.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        """Interactive API docs (Swagger UI) on ``/openapi.json``, with no asset from elsewhere."""
        if swagger_ui_folder() is None:
            raise _unavailable()
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP})

    @router.get(ASSETS_PREFIX + "{name}", response_class=Response)
    def asset(name: str) -> Response:
        """One file of the docs page (Swagger UI's distribution, or Veil's start script)."""
        if name not in ASSETS:
            raise HTTPException(404, "no such docs asset")
        try:
            body = asset_bytes(name)
        except OSError:
            raise _unavailable() from None
        media_type = ASSETS[name][1]
        return Response(body, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})

    return router
