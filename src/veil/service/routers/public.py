"""``/api/v1/public``: what anyone may read, what a QR code at the door opens: the deployment
notices (from the deployment files the operator registered) and the latest cosigned checkpoint
with its witnesses. Nothing here names a person."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from veil.ledger.published import CheckpointView, checkpoint_view, latest_cosigned
from veil.service.auth import service_state
from veil.service.deployments import PublicDeployment, deployment_names, public_deployment
from veil.service.http_errors import as_http

router = APIRouter(prefix="/api/v1/public", tags=["public"])


@router.get("/deployments", response_model=list[PublicDeployment])
def list_notices(request: Request) -> list[PublicDeployment]:
    """The notice of every registered deployment (camera or gate), by name."""
    state = service_state(request)
    home = state.settings.veil_home()
    with as_http():
        return [public_deployment(home, n, state.ledger()) for n in deployment_names(home)]


@router.get("/deployments/{name}", response_model=PublicDeployment)
def get_notice(name: str, request: Request) -> PublicDeployment:
    """One deployment's notice: who operates it, purpose, legal basis, retention, redaction at
    capture, recognition and for whom, the alternative, compliance with citations, the latest
    cosigned checkpoint; and the notice text (and digest) a person consents to. 404 if unknown."""
    state = service_state(request)
    with as_http():
        return public_deployment(state.settings.veil_home(), name, state.ledger())


@router.get("/checkpoint", response_model=CheckpointView)
def latest_checkpoint(request: Request) -> CheckpointView:
    """The latest checkpoint a witness cosigned, with the witnesses' names (404 when none)."""
    ledger = service_state(request).ledger()
    cp = latest_cosigned(ledger)
    if cp is None:
        raise HTTPException(404, "no cosigned checkpoint yet")
    return checkpoint_view(ledger, cp)
