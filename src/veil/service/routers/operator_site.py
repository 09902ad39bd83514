"""``/api/v1/operator``, the site's side (operators and admins): deployment files (register, list),
compliance checks of uploaded files (JSON, SARIF or HTML, as ``veil check``), the ledger's status,
checkpoints and witnesses, and the cameras (each a ``veil stream --serve`` health URL)."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from veil.ledger.published import CheckpointView, checkpoint_view, cosigners
from veil.rules.report import OutputFormat
from veil.service import cameras as cams
from veil.service.auth import Principal, require, service_state
from veil.service.checks import MEDIA_TYPES, CheckKind, check_upload
from veil.service.deployments import (
    DeploymentInfo,
    deployment_info,
    deployment_names,
    register_deployment,
)
from veil.service.http_errors import as_http

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])
staff = require("operator", "admin")


class NewDeployment(DeploymentInfo):
    """A deployment to register: what is kept beside the file, and the file's text."""

    content: str = Field(
        min_length=1, max_length=1_000_000, description="the deployment file (YAML or JSON)"
    )


class LedgerStatusView(BaseModel):
    """The ledger's origin, key, tree head, latest checkpoint and storage size."""

    origin: str
    vkey: str
    size: int
    root_hash: str
    latest_checkpoint_id: int | None
    latest_checkpoint_size: int | None
    latest_cosigners: int
    storage_bytes: int | None


class WitnessesView(BaseModel):
    """The witness policy and which witnesses have cosigned."""

    configured: list[str] = Field(description="witness URLs or folders the service uses")
    quorum: int | None
    cosigners: list[str] = Field(description="witnesses that cosigned any stored checkpoint")


@router.post("/deployments", response_model=DeploymentInfo, status_code=201)
def add_deployment(
    body: NewDeployment, request: Request, _: Principal = Depends(staff)
) -> DeploymentInfo:
    """Register (or replace) a deployment file with its controller and notice text; the file
    must parse as ``veil check deployment`` reads it. Its notice is then public."""
    info = DeploymentInfo(**body.model_dump(exclude={"content"}))
    with as_http():
        home = service_state(request).settings.veil_home()
        return register_deployment(home, info, body.content.encode("utf-8"))


@router.get("/deployments", response_model=list[DeploymentInfo])
def list_deployments(request: Request, _: Principal = Depends(staff)) -> list[DeploymentInfo]:
    """The registered deployments."""
    home = service_state(request).settings.veil_home()
    with as_http():
        return [deployment_info(home, n) for n in deployment_names(home)]


_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the report",
        "content": {t: {"schema": {"type": "string"}} for t in MEDIA_TYPES.values()},
    }
}
_UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/checks/{kind}", response_class=Response, responses=_REPORT, openapi_extra=_UPLOAD)
async def run_check(
    kind: CheckKind,
    request: Request,
    format: OutputFormat = OutputFormat.JSON,
    file_name: str | None = None,
    app_type: str | None = None,
    _: Principal = Depends(staff),
) -> Response:
    """Check an uploaded inventory (``app``), Android package (``apk``, with ``app_type``) or
    deployment file, as ``veil check`` does; the report as JSON, SARIF or HTML. 400 when the
    file cannot be checked."""
    data = await request.body()
    scratch = service_state(request).settings.veil_home() / "uploads"

    def work() -> tuple[str, str]:
        with as_http():
            return check_upload(kind, data, scratch, format, file_name=file_name, app_type=app_type)

    text, media_type = await run_in_threadpool(work)
    return Response(text, media_type=media_type)


@router.get("/ledger/status", response_model=LedgerStatusView)
def ledger_status(request: Request, _: Principal = Depends(staff)) -> LedgerStatusView:
    """The ledger's size, root, key and latest checkpoint (as ``veil ledger status``)."""
    s = service_state(request).ledger().status()
    return LedgerStatusView(
        origin=s.origin, vkey=s.vkey, size=s.size, root_hash=base64.b64encode(s.root).decode(),
        latest_checkpoint_id=s.latest_checkpoint_id,
        latest_checkpoint_size=s.latest_checkpoint_size, latest_cosigners=s.latest_cosigners,
        storage_bytes=s.storage_bytes,
    )  # fmt: skip


@router.get("/ledger/checkpoints", response_model=list[CheckpointView])
def ledger_checkpoints(
    request: Request, limit: int = 100, _: Principal = Depends(staff)
) -> list[CheckpointView]:
    """The newest checkpoints (at most ``limit``, newest first) with their cosigners."""
    ledger = service_state(request).ledger()
    newest = list(reversed(ledger.checkpoints()))[: max(1, min(limit, 1000))]
    return [checkpoint_view(ledger, cp) for cp in newest]


@router.get("/ledger/witnesses", response_model=WitnessesView)
def ledger_witnesses(request: Request, _: Principal = Depends(staff)) -> WitnessesView:
    """The witnesses the service is configured with, and those that cosigned checkpoints."""
    state = service_state(request)
    ledger = state.ledger()
    seen = sorted({n for cp in ledger.checkpoints() for n in cosigners(cp, ledger.origin)})
    return WitnessesView(
        configured=list(state.settings.witnesses), quorum=state.settings.witness_quorum,
        cosigners=seen,
    )  # fmt: skip


@router.get("/cameras", response_model=list[cams.CameraStatus])
async def list_cameras(request: Request, _: Principal = Depends(staff)) -> list[cams.CameraStatus]:
    """Every registered camera, each polled now (an unreachable one says so)."""
    home = service_state(request).settings.veil_home()
    found = await run_in_threadpool(cams.list_cameras, home)
    return [await run_in_threadpool(cams.poll_camera, c) for c in found]


@router.post("/cameras", response_model=cams.Camera, status_code=201)
def add_camera(body: cams.Camera, request: Request, _: Principal = Depends(staff)) -> cams.Camera:
    """Register (or replace) a camera by its ``veil stream --serve`` health URL."""
    with as_http():
        return cams.register_camera(service_state(request).settings.veil_home(), body)


@router.get("/cameras/{name}", response_model=cams.CameraStatus)
def get_camera(name: str, request: Request, _: Principal = Depends(staff)) -> cams.CameraStatus:
    """One camera, polled now: state, frames, faces redacted, frames blanked (404 if unknown)."""
    with as_http():
        camera = cams.get_camera(service_state(request).settings.veil_home(), name)
    return cams.poll_camera(camera)


@router.delete("/cameras/{name}", status_code=204, response_class=Response)
def remove_camera(name: str, request: Request, _: Principal = Depends(staff)) -> Response:
    """Forget a camera (404 if unknown)."""
    with as_http():
        cams.remove_camera(service_state(request).settings.veil_home(), name)
    return Response(status_code=204)
