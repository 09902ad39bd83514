"""Cameras the operator registers: each a ``veil stream --serve`` health URL, polled on demand.

The registrations are kept in the service's home as ``cameras.json`` (mode 0600, written
atomically). :func:`poll_camera` asks a camera's ``/health`` endpoint with a short timeout and
reports its state, frames, faces redacted and frames blanked; a camera that does not answer, or
answers with something else than ``veil stream`` health JSON, is reported as unreachable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from veil.errors import BadInputError
from veil.service.deployments import write_private

FILE = "cameras.json"
TIMEOUT_S = 2.0
MAX_HEALTH_BYTES = 1024 * 1024
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CameraError(BadInputError):
    """An unknown camera, or a registration that is not valid."""


class Camera(BaseModel):
    """One registered camera."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=NAME.pattern)
    health_url: str = Field(max_length=2000, description="the `veil stream --serve` /health URL")
    stream_camera: str | None = Field(
        None, max_length=64, description="the camera's name in that endpoint (default: name)"
    )

    @field_validator("health_url")
    @classmethod
    def _http(cls, value: str) -> str:
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL:
            raise ValueError("the health URL is not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the health URL must be an http:// or https:// URL")
        return value


class CameraStatus(BaseModel):
    """What the camera's health endpoint said just now."""

    name: str
    health_url: str
    reachable: bool
    state: str = Field(description="the stream's state, or 'unreachable'")
    up: bool = False
    frames_in: int | None = None
    frames_out: int | None = None
    faces_redacted: int | None = None
    frames_blanked: int | None = None
    error: str | None = None


def _path(home: Path) -> Path:
    return home / FILE


def list_cameras(home: Path) -> list[Camera]:
    """The registered cameras, by name."""
    try:
        raw = json.loads(_path(home).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return sorted((Camera.model_validate(c) for c in raw), key=lambda c: c.name)


def _save(home: Path, cameras: list[Camera]) -> None:
    data = json.dumps([c.model_dump() for c in cameras], indent=2).encode()
    write_private(_path(home), data)


def register_camera(home: Path, camera: Camera) -> Camera:
    """Register (or replace) ``camera``."""
    others = [c for c in list_cameras(home) if c.name != camera.name]
    _save(home, [*others, camera])
    return camera


def remove_camera(home: Path, name: str) -> None:
    """Forget the camera ``name`` (:class:`CameraError` when unknown)."""
    cameras = list_cameras(home)
    if not any(c.name == name for c in cameras):
        raise CameraError(f"no camera {name!r}")
    _save(home, [c for c in cameras if c.name != name])


def get_camera(home: Path, name: str) -> Camera:
    """The registered camera ``name``."""
    for camera in list_cameras(home):
        if camera.name == name:
            return camera
    raise CameraError(f"no camera {name!r}")


def _unreachable(camera: Camera, why: str) -> CameraStatus:
    return CameraStatus(
        name=camera.name, health_url=camera.health_url, reachable=False, state="unreachable",
        error=why,
    )  # fmt: skip


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def poll_camera(camera: Camera, *, timeout_s: float = TIMEOUT_S) -> CameraStatus:
    """Ask the camera's health endpoint now (200 and 503 both carry the health JSON)."""
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            r = client.get(camera.health_url)
    except httpx.HTTPError as exc:
        return _unreachable(camera, f"no answer: {type(exc).__name__}")
    if r.status_code not in (200, 503) or len(r.content) > MAX_HEALTH_BYTES:
        return _unreachable(camera, f"unexpected answer: HTTP {r.status_code}")
    try:
        cameras = r.json()["cameras"]
        data = cameras[camera.stream_camera or camera.name]
        if not isinstance(data, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _unreachable(camera, "the endpoint did not report this camera")
    return CameraStatus(
        name=camera.name,
        health_url=camera.health_url,
        reachable=True,
        state=str(data.get("state", "unknown")),
        up=data.get("up") is True,
        frames_in=_int(data, "frames_in"),
        frames_out=_int(data, "frames_out"),
        faces_redacted=_int(data, "faces_redacted"),
        frames_blanked=_int(data, "frames_blanked"),
        error=data.get("error") if isinstance(data.get("error"), str) else None,
    )
