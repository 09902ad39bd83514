"""Face policies a Ray worker opens for itself: a gate cannot be pickled (it holds a database
connection and decrypted templates), so the driver sends how to open one instead.

A worker opens the consent registry from the database URL the driver resolved and reads the master
key the way the CLI does on its own node (``VEIL_MASTER_KEY_FILE`` or ``$VEIL_HOME/master.key``):
the key itself never travels through Ray's control plane.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from veil.consent.gate import GateSettings
from veil.errors import ConfigError
from veil.vision.policy import FacePolicy

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


@dataclass(frozen=True)
class GatePolicySpec:
    """Open a :class:`~veil.consent.gate.ConsentGate` for ``purpose`` in a worker."""

    db_url: str
    purpose: str
    settings: GateSettings

    def __post_init__(self) -> None:
        if os.environ.get("VEIL_MASTER_KEY"):
            raise ConfigError(
                "--ray does not send VEIL_MASTER_KEY to workers; give each node the key file "
                "(VEIL_MASTER_KEY_FILE or $VEIL_HOME/master.key)"
            )

    def open(self, stack: contextlib.ExitStack) -> FacePolicy:
        """The gate, closed (its pending ``identify`` events logged) when ``stack`` closes."""
        from veil.consent.gate import ConsentGate
        from veil.consent.session import open_registry
        from veil.vision.embeddings import get_embedder

        registry = stack.enter_context(open_registry(self.db_url))
        gate = ConsentGate.open(registry, self.purpose, get_embedder(), self.settings)
        stack.callback(gate.close)
        return gate
