"""Face policies a Ray worker opens for itself: a gate cannot be pickled (it holds a database
connection and decrypted templates), so the driver sends its spec
(:class:`~veil.consent.gate_spec.GatePolicySpec`) and each worker opens it.

A worker opens the consent registry from the database URL the driver resolved and reads the master
key the way the CLI does on its own node (``VEIL_MASTER_KEY_FILE`` or ``$VEIL_HOME/master.key``):
the key itself never travels through Ray's control plane.
"""

from __future__ import annotations

import dataclasses
import os

from veil.consent.gate_spec import GatePolicySpec
from veil.errors import ConfigError
from veil.vision.policy import FacePolicySpec

__all__ = ["FORWARDED_ENV", "GatePolicySpec", "forwarded_env", "worker_policy"]

# What a worker must see as the driver does (paths and URLs, never secrets).
FORWARDED_ENV = (
    "VEIL_HOME",
    "VEIL_DB",
    "VEIL_CACHE",
    "VEIL_MASTER_KEY_FILE",
    "VEIL_CENTERFACE_ONNX",
    "VEIL_DLIB_MODELS",
)


def forwarded_env() -> dict[str, str]:
    """The driver's Veil settings for the workers' environment."""
    return {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}


def worker_policy(spec: FacePolicySpec | None) -> FacePolicySpec | None:
    """``spec`` as the workers open it: a gate's database URL resolved on the driver.

    Refused when the master key is only in ``VEIL_MASTER_KEY``, which is not sent to workers.
    """
    if spec is None:
        return None
    if os.environ.get("VEIL_MASTER_KEY"):
        raise ConfigError(
            "--ray does not send VEIL_MASTER_KEY to workers; give each node the key file "
            "(VEIL_MASTER_KEY_FILE or $VEIL_HOME/master.key)"
        )
    if isinstance(spec, GatePolicySpec) and spec.db_url is None:
        from veil.config import default_db_url

        return dataclasses.replace(spec, db_url=default_db_url())
    return spec
