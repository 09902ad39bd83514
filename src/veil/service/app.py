"""The app factory: ``create_app(settings) -> FastAPI`` and ``serve(settings)`` (``veil serve``).

The app mounts the C2SP protocols (``/log`` tlog-tiles, ``/witness`` tlog-witness when a witness
folder is configured), the API under ``/api/v1``, the pages, ``/healthz``, ``/openapi.json`` and
the interactive docs at ``/docs`` (Swagger UI served by Veil itself: :mod:`veil.service.api_docs`).
Public log reads that the cache can answer never reach FastAPI's routing
(:class:`~veil.service.log_reads.LogFastPath`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from veil import __version__
from veil.ledger.tiles import TILE_WIDTH, TilePath
from veil.service import jobs
from veil.service.api_docs import docs_router
from veil.service.auth import principal_from_credentials, service_state
from veil.service.log_reads import LogFastPath, LogReads, bundle_leaves
from veil.service.middleware import BodyLimit, SecurityHeaders
from veil.service.people import log_range_read
from veil.service.protocols import build_log_router, build_witness_router
from veil.service.responses import ERROR_RESPONSES, TEXT_ERRORS
from veil.service.routers import audit as audit_routes
from veil.service.routers import auth as auth_routes
from veil.service.routers import events as events_routes
from veil.service.routers import operator as operator_routes
from veil.service.routers import operator_site as operator_site_routes
from veil.service.routers import person as person_routes
from veil.service.routers import public as public_routes
from veil.service.routers.pages_all import include_pages
from veil.service.settings import ServiceSettings
from veil.service.state import ServiceState
from veil.service.witnessing import WitnessSchedule


def _entries_gate(request: Request) -> bool:
    """``may_read_entries`` for the log router (a sync route, so a worker thread): auditors only."""
    try:
        principal, _ = principal_from_credentials(service_state(request), request)
    except HTTPException:
        return False
    request.state.principal = principal
    return principal.role == "auditor"


def _entries_read(request: Request, tile: TilePath, bundle: bytes) -> None:
    """Log an auditor's read of an entry bundle, for each person it holds entries of."""
    first = tile.index * TILE_WIDTH
    log_range_read(service_state(request), request.state.principal, bundle_leaves(bundle),
                   first=first, action="use")  # fmt: skip


def _document_raw_bodies(app: FastAPI) -> None:
    """Add the schemas of bodies that routes read themselves (the event batch) to the OpenAPI
    document's components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        doc = app.openapi_schema
        if doc is None:
            doc = generate()  # FastAPI keeps it as app.openapi_schema: this runs once
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(events_routes.openapi_components())
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """A Veil service app over the settings' database (default settings: embedded SQLite)."""
    settings = settings or ServiceSettings()
    state = ServiceState.open(settings)
    jobs.ensure_table(state.db)
    schedule = WitnessSchedule(state)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        schedule.start()
        yield
        schedule.stop()
        state.close()

    app = FastAPI(
        title="Veil",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    reads = LogReads(state.ledger)
    app.state.veil = state
    app.state.veil_witnessing = schedule
    app.state.veil_log_reads = reads
    app.include_router(auth_routes.router, responses=ERROR_RESPONSES)
    app.include_router(audit_routes.router, responses=ERROR_RESPONSES)
    app.include_router(events_routes.router, responses=ERROR_RESPONSES)
    app.include_router(public_routes.router, responses=ERROR_RESPONSES)
    app.include_router(person_routes.router, responses=ERROR_RESPONSES)
    app.include_router(operator_routes.router, responses=ERROR_RESPONSES)
    app.include_router(operator_site_routes.router, responses=ERROR_RESPONSES)
    app.include_router(
        build_log_router(state.ledger, _entries_gate, reads, _entries_read), responses=TEXT_ERRORS
    )
    app.include_router(docs_router(), responses=ERROR_RESPONSES)
    include_pages(app)
    if settings.witness_home is not None:
        from veil.ledger.witness import Witness

        app.include_router(
            build_witness_router(Witness.open(settings.witness_home)), prefix="/witness"
        )

    _document_raw_bodies(app)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    # added last = outermost: proxy headers, the log's fast path (cached public reads, with the
    # security headers), then security headers, then the size limit
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LogFastPath, reads=reads)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app


SETTINGS_ENV = "VEIL_SERVE_SETTINGS_JSON"


def app_from_environment() -> FastAPI:
    """The app of one ``veil serve --workers N`` worker: settings from :data:`SETTINGS_ENV`
    (set by :func:`serve`; settings hold no secrets)."""
    import os

    app = create_app(ServiceSettings.model_validate_json(os.environ[SETTINGS_ENV]))
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, schemas, the app) out of the garbage
    collector's view: a full collection then scans only what requests allocate, instead of
    pausing every request in flight for ~25 ms each time ingest batches promote objects."""
    import gc

    gc.collect()
    gc.freeze()


def serve(settings: ServiceSettings, workers: int = 1) -> None:
    """Run the app under uvicorn (TLS with ``certfile``/``keyfile``), in ``workers`` processes
    sharing the port (each its own app on the same database; one sequences the log at a time)."""
    import os

    import uvicorn

    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        target: Any = f"{__name__}:app_from_environment"
    else:
        target = create_app(settings)
        freeze_startup_heap()
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.certfile) if settings.certfile else None,
        ssl_keyfile=str(settings.keyfile) if settings.keyfile else None,
        proxy_headers=False,  # the app's own middleware trusts only settings.trusted_proxies
        server_header=False,
        access_log=False,  # never logged anyway (level warning); person links travel in paths
        log_level="warning",
    )
