"""``/api/v1/audit``: the auditor's read-only view of the trace ledger.

Entries (paged) and the export hold events (subject pseudonyms): auditors only, and each such read
is itself logged before it is answered: one ``use`` (a page) or ``export`` event per person whose
entries the range holds, naming the auditor and the range, so the person's trace shows who looked
(:func:`veil.service.people.log_range_read`). Checkpoints, consistency proofs, the ``verify`` job
and the monitor reveal no event: auditors and admins.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from veil.errors import VeilError
from veil.service import jobs
from veil.service.auth import Principal, require, service_state
from veil.service.people import log_range_read

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
auditor = require("auditor")
auditor_or_admin = require("auditor", "admin")
MAX_PAGE = 1000
MAX_INT = (1 << 63) - 1  # the databases' BIGINT: larger numbers are refused (422)
VERIFY = "verify"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Entry(BaseModel):
    """One log entry: its index and the event it holds."""

    index: int
    event: dict[str, Any]


class EntriesPage(BaseModel):
    """A page of entries from ``start``, with the index of the next page (or none)."""

    size: int
    start: int
    entries: list[Entry]
    next: int | None


class CheckpointOut(BaseModel):
    """A published checkpoint: its size, root, signed note and witness cosignatures."""

    id: int
    size: int
    root: str
    note: str
    cosignatures: list[str]


class ConsistencyOut(BaseModel):
    """An RFC 9162 consistency proof between two tree sizes (hashes in base64)."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class JobOut(BaseModel):
    """A verify job's state and progress (``done`` of ``total``), and its result when done."""

    job_id: str
    state: str
    done: int
    total: int
    created_at: int
    updated_at: int
    result: dict[str, Any] | None


class Finding(BaseModel):
    """One monitor finding: the rule, what it found, and the entry it is about."""

    rule: str
    detail: str
    index: int | None
    event_id: str | None


class MonitorOut(BaseModel):
    """The monitor's replay of the log up to ``size``: ``ok`` when nothing was found."""

    size: int
    ok: bool
    findings: list[Finding]


@router.get("/entries", response_model=EntriesPage)
def entries(
    request: Request,
    start: int = Query(0, ge=0, le=MAX_INT),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    who: Principal = Depends(auditor),
) -> EntriesPage:
    """Entries ``start`` .. ``start+limit-1`` of the log, in order, as events (auditors); the
    read is logged for each person the page is about."""
    state = service_state(request)
    ledger = state.ledger()
    size = ledger.head().size
    out: list[Entry] = []
    datas: list[bytes] = []
    for leaf in ledger.log.iter_leaves(start):
        if leaf.index >= size or len(out) >= limit:
            break
        out.append(Entry(index=leaf.index, event=json.loads(leaf.data)))
        datas.append(leaf.data)
    log_range_read(state, who, datas, first=start, action="use")
    nxt = start + len(out)
    return EntriesPage(size=size, start=start, entries=out, next=nxt if nxt < size else None)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        handle.seek(0)
        while chunk := handle.read(1 << 16):
            yield chunk
    finally:
        handle.close()


@router.get(
    "/export", response_class=Response, responses={200: {"content": {"application/x-ndjson": {}}}}
)
def export(
    request: Request, size: int | None = Query(None, ge=0), who: Principal = Depends(auditor)
) -> Response:
    """The leaves as hashed, one per line: the same bytes as ``veil ledger export`` (auditors);
    the export is logged for each person it holds entries of."""
    ledger = service_state(request).ledger()
    head = ledger.head().size
    if size is not None and size > head:
        raise HTTPException(400, f"size {size} is beyond the log's size {head}")
    # An unnamed file in the service's home (0600, gone when closed), never in /tmp.
    spool = tempfile.TemporaryFile(dir=service_state(request).settings.veil_home())  # noqa: SIM115 (closed by the response)
    try:
        n = ledger.export(spool, size=size)
        spool.seek(0)
        log_range_read(service_state(request), who, spool, first=0, action="export")
    except BaseException:
        spool.close()
        raise
    headers = {
        "Content-Disposition": 'attachment; filename="ledger.jsonl"',
        "Cache-Control": "private, no-store",
        "X-Veil-Leaves": str(n),
    }
    return StreamingResponse(_chunks(spool), media_type="application/x-ndjson", headers=headers)


def _checkpoint_out(cp: Any) -> CheckpointOut:
    return CheckpointOut(
        id=cp.id, size=cp.size, root=_b64(cp.root), note=cp.note, cosignatures=list(cp.cosignatures)
    )


@router.get("/checkpoints", response_model=list[CheckpointOut])
def checkpoints(
    request: Request,
    start: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    _: Principal = Depends(auditor_or_admin),
) -> list[CheckpointOut]:
    """Checkpoints oldest first with their witness cosignatures (auditors, admins)."""
    cps = service_state(request).ledger().checkpoints()
    return [_checkpoint_out(cp) for cp in cps[start : start + limit]]


@router.get("/checkpoints/{checkpoint_id}", response_model=CheckpointOut)
def checkpoint(
    request: Request,
    checkpoint_id: int = Path(ge=0, le=MAX_INT),
    _: Principal = Depends(auditor_or_admin),
) -> CheckpointOut:
    """One checkpoint with its cosignatures (auditors, admins); 404 when there is none."""
    cp = service_state(request).ledger().store.get_checkpoint(checkpoint_id)
    if cp is None:
        raise HTTPException(404, f"no checkpoint {checkpoint_id}")
    return _checkpoint_out(cp)


@router.get("/consistency", response_model=ConsistencyOut)
def consistency(
    request: Request,
    old: int = Query(ge=0),
    new: int = Query(ge=0),
    _: Principal = Depends(auditor_or_admin),
) -> ConsistencyOut:
    """An RFC 9162 consistency proof from tree size ``old`` to ``new`` (auditors, admins)."""
    log = service_state(request).ledger().log
    head = log.head().size
    if not old <= new <= head:
        raise HTTPException(400, f"need 0 <= old <= new <= {head} (the log's size)")
    return ConsistencyOut(
        old_size=old, new_size=new, old_root=_b64(log.root_at(old)), new_root=_b64(log.root_at(new)),
        proof=[_b64(h) for h in log.consistency_proof(old, new)],
    )  # fmt: skip


def _job_out(job: jobs.Job) -> JobOut:
    return JobOut(
        job_id=job.job_id, state=job.state, done=job.done, total=job.total,
        created_at=job.created_at, updated_at=job.updated_at, result=job.result,
    )  # fmt: skip


def verify_work(db_url: str, key_dir: Any) -> jobs.Work:
    """The job that runs ``veil ledger verify`` on its own connection, reporting progress."""

    def work(progress: Callable[[int, int], None]) -> dict[str, Any]:
        from veil.ledger import Ledger

        with Ledger.open(db_url, key_dir, create=False) as ledger:  # its own connection
            rep = ledger.verify(progress=progress)
        return rep.as_dict()

    return work


@router.post("/verify", response_model=JobOut, status_code=202)
def start_verify(request: Request, who: Principal = Depends(auditor_or_admin)) -> JobOut:
    """Start ``veil ledger verify`` as a background job; poll ``GET /verify/{job_id}``."""
    state = service_state(request)
    state.ledger()  # the ledger and its keys exist before the job opens its own connection
    s = state.settings
    job = jobs.start_job(state.db, VERIFY, verify_work(s.db_url(), s.key_dir()), who.account)
    return _job_out(job)


@router.get("/verify/{job_id}", response_model=JobOut)
def verify_status(
    job_id: str, request: Request, _: Principal = Depends(auditor_or_admin)
) -> JobOut:
    """A verify job's state (``running``, ``done``, ``failed``, ``lost``), progress and result."""
    job = jobs.get_job(service_state(request).db, job_id, VERIFY)
    if job is None:
        raise HTTPException(404, "no such verify job")
    return _job_out(job)


def _evidence(request: Request) -> list[dict[str, Any]]:
    from pathlib import Path as FsPath

    from veil.ledger.witness import Witness

    s = service_state(request).settings
    folders = [s.witness_home] if s.witness_home is not None else []
    folders += [FsPath(w) for w in s.witnesses if "://" not in w]
    out: list[dict[str, Any]] = []
    for folder in folders:
        try:
            out.extend(Witness.open(folder).evidence())
        except VeilError:
            continue  # a witness folder that cannot be read adds no evidence
    return out


@router.get("/monitor", response_model=MonitorOut)
def monitor(request: Request, _: Principal = Depends(auditor_or_admin)) -> MonitorOut:
    """Replay the log and report policy findings: the same monitor as ``veil ledger monitor``."""
    from veil.ledger.monitor import monitor_ledger

    report = monitor_ledger(service_state(request).ledger(), _evidence(request))
    data = report.as_dict()
    return MonitorOut(size=report.size, ok=report.ok, findings=data["findings"])
