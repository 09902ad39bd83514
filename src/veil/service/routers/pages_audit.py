"""The auditor's pages under ``/audit-ui``: checkpoint history with who cosigned each, the
monitor's findings (each naming its log entry), and the export of every leaf."""

from __future__ import annotations

import io

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from veil.ledger.monitor import monitor_ledger
from veil.ledger.published import cosigners
from veil.service.auth import Principal, require, service_state
from veil.service.http_errors import as_http
from veil.service.routers.pages_common import html
from veil.service.routers.pages_console import session_csrf

router = APIRouter(prefix="/audit-ui", tags=["pages"], include_in_schema=False)
auditor = require("auditor")
SHOWN = 50  # checkpoints listed, newest first


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, who: Principal = Depends(auditor)) -> HTMLResponse:
    """Checkpoints (newest first) with their cosigners, and the monitor's findings."""
    ledger = service_state(request).ledger()
    with as_http():
        report = monitor_ledger(ledger)
        checkpoints = [
            (cp, cosigners(cp, ledger.origin), ledger.note_with_cosignatures(cp))
            for cp in reversed(ledger.checkpoints()[-SHOWN:])
        ]
    return html(
        request, "audit.html", principal=who, csrf=session_csrf(request), report=report,
        checkpoints=checkpoints, origin=ledger.origin, vkey=ledger.vkey,
    )  # fmt: skip


@router.get("/export")
def export(request: Request, _: Principal = Depends(auditor)) -> Response:
    """Every leaf of the log, one exact line each (as ``veil ledger export``)."""
    out = io.BytesIO()
    with as_http():
        service_state(request).ledger().export(out)
    response = Response(out.getvalue(), media_type="application/jsonl")
    response.headers["Content-Disposition"] = 'attachment; filename="veil-ledger.jsonl"'
    response.headers["Cache-Control"] = "no-store"
    return response
