"""The operator console's work pages: purposes (list, add), the rights-request queue (answer),
and compliance checks (upload a file, see the report ``veil check`` makes in the page's language,
with the HTML, SARIF and JSON files to download, or ask for one of those files itself)."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from veil.rules.report import DISCLAIMER, OutputFormat, summary_line
from veil.service.auth import Principal, require, service_state
from veil.service.checks import check_upload
from veil.service.forms import read_form
from veil.service.http_errors import as_http
from veil.service.pages.check_report import downloads, level_counts, report_from_json
from veil.service.people import log_read, open_registry, rights_desk
from veil.service.routers.pages_common import PAGE_CSP, html, see_other
from veil.service.routers.pages_console import session_csrf

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
staff = require("operator", "admin")
KINDS = ("apk", "app", "deployment")
_FORMATS = {
    "page": OutputFormat.JSON, "html": OutputFormat.HTML, "sarif": OutputFormat.SARIF,
    "json": OutputFormat.JSON,
}  # fmt: skip
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@router.get("/purposes", response_class=HTMLResponse)
def purposes_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """Every declared purpose, and the form to declare one."""
    with as_http(), open_registry(service_state(request)) as registry:
        purposes = registry.purposes()
    return html(
        request, "console_purposes.html", principal=who, csrf=session_csrf(request),
        purposes=purposes,
    )  # fmt: skip


@router.post("/purposes")
async def add_purpose(request: Request, _: Principal = Depends(staff)) -> Response:
    """Declare a purpose (an access purpose must name its non-biometric alternative)."""
    form = await read_form(request)
    with as_http(), open_registry(service_state(request)) as registry:
        registry.declare_purpose(
            form.get("name"), description=form.get("description"),
            access=form.get("access") == "yes", alternative=form.get("alternative") or None,
        )  # fmt: skip
    return see_other(request, "/console/purposes")


@router.get("/rights", response_class=HTMLResponse)
def rights_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """The open rights requests, the nearest deadline first (each listed person gets a read
    event in their trace)."""
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        queue = rights_desk(state, registry).queue()
        log_read(state, who, (r.subject for r in queue))
    return html(
        request, "console_rights.html", principal=who, csrf=session_csrf(request), queue=queue
    )


@router.post("/rights/{request_id}")
async def rights_step(request_id: str, request: Request, _: Principal = Depends(staff)) -> Response:
    """Move a request on (``in_progress``, then ``fulfilled`` or ``refused`` with a reason)."""
    form = await read_form(request)
    step, note = form.get("state"), form.get("note") or None
    state = service_state(request)
    with as_http(), open_registry(state) as registry:
        desk = rights_desk(state, registry)
        if step == "in_progress":
            desk.start(request_id, note=note)
        elif step == "fulfilled":
            desk.fulfil(request_id, note=note)
        elif step == "refused":
            desk.refuse(request_id, note or "")
        else:
            raise HTTPException(400, "choose in_progress, fulfilled or refused")
    return see_other(request, "/console/rights")


@router.get("/checks", response_class=HTMLResponse)
def checks_page(request: Request, who: Principal = Depends(staff)) -> HTMLResponse:
    """The upload form of a compliance check."""
    return html(
        request, "console_checks.html", principal=who, csrf=session_csrf(request), kinds=KINDS
    )


@router.post("/checks")
async def run_check(request: Request, who: Principal = Depends(staff)) -> Response:
    """Check the uploaded file as ``veil check KIND`` does and show its report in the page's
    language; ``format`` html, sarif or json answers with that file itself (the HTML report
    served with a CSP that allows exactly the report's own style sheet, by hash)."""
    form = await read_form(request)
    kind, fmt = form.get("kind"), form.get("format") or "page"
    upload = form.files.get("file")
    if kind not in KINDS or upload is None or not upload.data:
        raise HTTPException(400, "choose what to check and the file to upload")
    if fmt not in _FORMATS:
        raise HTTPException(400, "format must be page, html, sarif or json")
    state = service_state(request)
    scratch = state.settings.veil_home() / "uploads"
    with as_http():
        text, media = check_upload(
            kind, upload.data, scratch, _FORMATS[fmt],  # type: ignore[arg-type]
            file_name=upload.filename, app_type=form.get("app_type") or None,
        )  # fmt: skip
    if fmt == "page":
        report = report_from_json(text)
        return html(
            request, "console_check_report.html", principal=who, csrf=session_csrf(request),
            report=report, counts=level_counts(report), downloads=downloads(report),
            summary=summary_line(report), disclaimer=DISCLAIMER,
        )  # fmt: skip
    response = Response(text, media_type=media)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = _report_csp(text)
    return response


def _report_csp(report: str) -> str:
    """The page CSP with the report's inline style sheet allowed by its SHA-256, and no script."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE.findall(report)
    ]
    csp = PAGE_CSP.replace("script-src 'self'", "script-src 'none'")
    return csp.replace("style-src 'self'", "style-src " + " ".join(hashes or ["'none'"]))
