"""The Veil HTTP service: one FastAPI app for the person, the operator, the auditor and the witnesses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veil.service.app import create_app as create_app
    from veil.service.settings import ServiceSettings as ServiceSettings

__all__ = ["ServiceSettings", "create_app"]


def __getattr__(name: str) -> Any:
    """``create_app`` and ``ServiceSettings``, imported on first use."""
    if name == "create_app":
        from veil.service.app import create_app

        return create_app
    if name == "ServiceSettings":
        from veil.service.settings import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module 'veil.service' has no attribute {name!r}")
