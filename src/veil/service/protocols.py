"""The standard protocols over HTTP: the ledger as a C2SP tlog-tiles log and a C2SP tlog-witness.

``build_log_router`` serves ``/log/checkpoint``, ``/log/tile/<L>/<N>[.p/<W>]`` and
``/log/tile/entries/<N>[.p/<W>]`` for the tree of the latest checkpoint. Hash tiles and the
checkpoint are public; entry bundles hold events (subject pseudonyms), so they are served only when
``may_read_entries(request)`` allows it. ``build_witness_router`` serves ``POST /add-checkpoint``
(the app mounts it at ``/witness``) with the status codes of c2sp.org/tlog-witness.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from veil.errors import VeilError
from veil.ledger.tiles import TilePath, TilePathError, available_width, parse_tile_path
from veil.ledger.tiles import read_tile as _read_tile
from veil.ledger.witness import MAX_REQUEST_BYTES, Witness, WitnessError
from veil.service.log_reads import Cached, LogReads

if TYPE_CHECKING:
    from veil.ledger import Ledger

TEXT = "text/plain; charset=utf-8"
TLOG_SIZE = "text/x.tlog.size"


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status, headers, media_type=TEXT)


def _answer(cached: Cached) -> Response:
    response = Response(cached.body, 200)
    response.raw_headers = list(cached.headers)
    return response


def _tile_response(
    reads: LogReads, path: str, served: Callable[[TilePath, bytes], None] | None = None
) -> Response:
    try:
        tile = parse_tile_path(path)
    except TilePathError as exc:
        return _text(400, str(exc))
    size = reads.published_size()
    if available_width(tile, size) < tile.width:
        return _text(404, "no such tile in the published tree")
    ledger = reads.open_ledger()
    answer = reads.tile(path, lambda: _read_tile(ledger.store, tile, size))
    if served is not None:
        served(tile, answer.body)
    return _answer(answer)


def build_log_router(
    open_ledger: Callable[[], Ledger],
    may_read_entries: Callable[[Request], bool],
    reads: LogReads | None = None,
    entries_read: Callable[[Request, TilePath, bytes], None] | None = None,
) -> APIRouter:
    """The tlog-tiles routes. ``open_ledger`` returns the app's ledger (the router never closes
    it); ``may_read_entries`` decides who may read entry bundles (auditors); ``reads`` is the
    cache the routes fill (and :class:`~veil.service.log_reads.LogFastPath` serves from);
    ``entries_read`` is told of every entry bundle about to be served (it logs the read, and may
    raise to refuse it)."""
    router = APIRouter(tags=["tlog-tiles"])
    cache = reads if reads is not None else LogReads(open_ledger)

    @router.get("/log/checkpoint", response_class=Response)
    def checkpoint() -> Response:
        """The latest signed checkpoint note with its witness cosignatures."""
        answer = cache.checkpoint()
        if answer is None:
            return _text(404, "no checkpoint yet")
        return _answer(answer)

    @router.get("/log/tile/entries/{rest:path}", response_class=Response)
    def entries(rest: str, request: Request) -> Response:
        """An entry bundle (auditors only: entries hold events)."""
        if not may_read_entries(request):
            status = 403 if _has_credentials(request) else 401
            return _text(status, "entry bundles hold events: auditors only")
        logged = None if entries_read is None else partial(entries_read, request)
        return _tile_response(cache, "tile/entries/" + rest, logged)

    @router.get("/log/tile/{rest:path}", response_class=Response)
    def tile(rest: str) -> Response:
        """A hash tile (public)."""
        if rest.startswith("entries/"):
            return _text(400, "not a hash tile")
        return _tile_response(cache, "tile/" + rest)

    return router


def _has_credentials(request: Request) -> bool:
    return "authorization" in request.headers or bool(request.cookies)


def witness_response(witness: Witness, body: bytes) -> Response:
    """The tlog-witness answer to one add-checkpoint request body."""
    try:
        lines = witness.add_checkpoint(body)
    except WitnessError as exc:
        if exc.status == 409 and exc.latest_size is not None:
            return Response(f"{exc.latest_size}\n", 409, media_type=TLOG_SIZE)
        return _text(exc.status, str(exc))
    except VeilError as exc:
        return _text(503, f"the witness cannot answer now: {exc}")
    return Response(lines, 200, media_type=TEXT)


def build_witness_router(witness: Witness) -> APIRouter:
    """The tlog-witness route ``POST /add-checkpoint`` for ``witness`` (state kept atomically)."""
    router = APIRouter(tags=["tlog-witness"])

    @router.post("/add-checkpoint", response_class=Response)
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint that is consistent with the latest one this witness cosigned."""
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            return _text(400, "request too large")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                return _text(400, "request too large")
        return await run_in_threadpool(witness_response, witness, body)

    return router


def witness_app(home: Path) -> FastAPI:
    """A FastAPI app running only the witness in ``home`` (``veil witness serve``)."""
    app = FastAPI(title="Veil witness", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(build_witness_router(Witness.open(home)), prefix="/witness")
    return app
