"""The app factory: ``create_app(settings) -> FastAPI`` and ``serve(settings)`` (``veil serve``).

The app mounts the C2SP protocols (``/log`` tlog-tiles, ``/witness`` tlog-witness when a witness
folder is configured), the auth API under ``/api/v1/auth``, ``/healthz`` and ``/openapi.json``.
Interactive docs (``/docs``, ``/redoc``) are off: FastAPI's pages load Swagger UI from a CDN and
run an inline script, which the CSP forbids; no installed package ships the assets offline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from veil import __version__
from veil.service import jobs
from veil.service.auth import principal_from_credentials, service_state
from veil.service.middleware import BodyLimit, SecurityHeaders
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
    return principal.role == "auditor"


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
    app.state.veil = state
    app.state.veil_witnessing = schedule
    app.include_router(auth_routes.router, responses=ERROR_RESPONSES)
    app.include_router(audit_routes.router, responses=ERROR_RESPONSES)
    app.include_router(events_routes.router, responses=ERROR_RESPONSES)
    app.include_router(public_routes.router, responses=ERROR_RESPONSES)
    app.include_router(person_routes.router, responses=ERROR_RESPONSES)
    app.include_router(operator_routes.router, responses=ERROR_RESPONSES)
    app.include_router(operator_site_routes.router, responses=ERROR_RESPONSES)
    app.include_router(build_log_router(state.ledger, _entries_gate), responses=TEXT_ERRORS)
    include_pages(app)
    if settings.witness_home is not None:
        from veil.ledger.witness import Witness

        app.include_router(
            build_witness_router(Witness.open(settings.witness_home)), prefix="/witness"
        )

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    # added last = outermost: proxy headers, then security headers, then the size limit
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app


def serve(settings: ServiceSettings) -> None:
    """Run the app under uvicorn (TLS with ``certfile``/``keyfile``)."""
    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.certfile) if settings.certfile else None,
        ssl_keyfile=str(settings.keyfile) if settings.keyfile else None,
        proxy_headers=False,  # the app's own middleware trusts only settings.trusted_proxies
        server_header=False,
        log_level="warning",
    )
