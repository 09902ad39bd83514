"""The auditor's pages under ``/audit-ui``: checkpoint history with who cosigned each, the
consistency of each checkpoint with the one before (verified in the browser by
``static/consistency.js``), the monitor's findings (each naming its log entry), and the export
of every leaf."""

from __future__ import annotations

import base64
import io
from itertools import pairwise
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from veil.ledger.monitor import monitor_ledger
from veil.ledger.published import cosigners
from veil.service.auth import Principal, require, service_state
from veil.service.http_errors import as_http
from veil.service.routers.pages_common import html
from veil.service.routers.pages_console import session_csrf

if TYPE_CHECKING:
    from veil.ledger import Ledger

router = APIRouter(prefix="/audit-ui", tags=["pages"], include_in_schema=False)
auditor = require("auditor")
SHOWN = 50  # checkpoints listed, newest first


@router.get("", response_class=HTMLResponse)
def audit_page(request: Request, who: Principal = Depends(auditor)) -> HTMLResponse:
    """Checkpoints (newest first) with their cosigners, and the monitor's findings."""
    ledger = service_state(request).ledger()
    with as_http():
        report = monitor_ledger(ledger)
        stored = ledger.checkpoints()[-SHOWN:]
        checkpoints = [
            (cp, cosigners(cp, ledger.origin), ledger.note_with_cosignatures(cp))
            for cp in reversed(stored)
        ]
        pairs = [(old, new, _proof(ledger, old.size, new.size)) for old, new in pairwise(stored)][
            ::-1
        ]
    return html(
        request, "audit.html", principal=who, csrf=session_csrf(request), report=report,
        checkpoints=checkpoints, pairs=pairs, origin=ledger.origin, vkey=ledger.vkey,
        note=ledger.note_with_cosignatures,
    )  # fmt: skip


def _proof(ledger: Ledger, old_size: int, new_size: int) -> str:
    """The RFC 9162 consistency proof from ``old_size`` to ``new_size``, base64 hashes."""
    return " ".join(
        base64.b64encode(h).decode() for h in ledger.log.consistency_proof(old_size, new_size)
    )


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
