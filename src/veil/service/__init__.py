"""The Veil HTTP service: one FastAPI app for the person, the operator, the auditor and the witnesses.

``create_app``, ``ServiceSettings`` and the submodules ``veil serve`` calls (accounts, tokens,
settings, demo_serve) are imported on first use, so importing the package stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veil.service import accounts as accounts
    from veil.service import demo_serve as demo_serve
    from veil.service import settings as settings
    from veil.service import tokens as tokens
    from veil.service.app import create_app as create_app
    from veil.service.settings import ServiceSettings as ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
_ON_USE = {"accounts", "demo_serve", "settings", "tokens"}


def __getattr__(name: str) -> Any:
    """``create_app``, ``ServiceSettings`` and the submodules ``veil serve`` calls, on first use."""
    if name in _ON_USE:
        return importlib.import_module(f"veil.service.{name}")
    if name == "create_app":
        from veil.service.app import create_app

        return create_app
    if name == "ServiceSettings":
        from veil.service.settings import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module 'veil.service' has no attribute {name!r}")
