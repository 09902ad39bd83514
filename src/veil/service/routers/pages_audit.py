"""The auditor's pages under ``/audit-ui``: checkpoint history with who cosigned each, the
consistency of each checkpoint with the one before and of any two the auditor picks (both
verified in the browser by ``static/consistency.js``), the monitor's findings (each naming its
log entry), the export of every leaf, and ``veil ledger verify`` as a job with a progress bar
(``static/verify-job.js`` polls it; without script the page refreshes itself)."""

from __future__ import annotations

import base64
import io
from itertools import pairwise
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from veil.ledger.monitor import monitor_ledger
from veil.ledger.published import cosigners
from veil.service import jobs
from veil.service.auth import Principal, require, service_state
from veil.service.http_errors import as_http
from veil.service.routers.audit import VERIFY, verify_work
from veil.service.routers.pages_common import html, see_other
from veil.service.routers.pages_console import session_csrf

if TYPE_CHECKING:
    from veil.ledger import Ledger

router = APIRouter(prefix="/audit-ui", tags=["pages"], include_in_schema=False)
auditor = require("auditor")
SHOWN = 50  # checkpoints listed, newest first
POLL_MS = 500  # how often the verify page asks for the job's progress


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


@router.get("/consistency", response_class=HTMLResponse)
def consistency_page(
    request: Request,
    old: int = Query(ge=0, le=(1 << 63) - 1),
    new: int = Query(ge=0, le=(1 << 63) - 1),
    who: Principal = Depends(auditor),
) -> HTMLResponse:
    """Two checkpoints the auditor picked (by id, in either order): the browser fetches both and
    their consistency proof from the API and checks them itself."""
    store = service_state(request).ledger().store
    picked = [store.get_checkpoint(old), store.get_checkpoint(new)]
    if picked[0] is None or picked[1] is None:
        raise HTTPException(404, "no such checkpoint")
    first, second = sorted(picked, key=lambda cp: (cp.size, cp.id))  # type: ignore[union-attr]
    return html(
        request, "audit_consistency.html", principal=who, csrf=session_csrf(request),
        old=first, new=second, vkey=service_state(request).ledger().vkey,
    )  # fmt: skip


@router.post("/verify")
def start_verify(request: Request, who: Principal = Depends(auditor)) -> Response:
    """Start ``veil ledger verify`` as a job and go to its progress page."""
    state = service_state(request)
    with as_http():
        state.ledger()  # the ledger and its keys exist before the job opens its own connection
        s = state.settings
        job = jobs.start_job(state.db, VERIFY, verify_work(s.db_url(), s.key_dir()), who.account)
    return see_other(request, f"/audit-ui/verify/{job.job_id}")


@router.get("/verify/{job_id}", response_class=HTMLResponse)
def verify_page(job_id: str, request: Request, who: Principal = Depends(auditor)) -> HTMLResponse:
    """A verify job's progress (a progress bar the page's script keeps current) and result."""
    job = jobs.get_job(service_state(request).db, job_id, VERIFY)
    if job is None:
        raise HTTPException(404, "no such verify job")
    return html(
        request, "audit_verify.html", principal=who, csrf=session_csrf(request), job=job,
        poll_ms=POLL_MS,
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
