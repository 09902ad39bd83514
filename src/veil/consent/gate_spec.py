"""The consent gate as a face policy spec: ``veil gate`` (here or on Ray) and ``veil stream
--purpose`` open it the same way, where their frame step runs."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from veil.consent.gate_settings import GateSettings
from veil.vision.policy import FacePolicy

__all__ = ["GatePolicySpec"]


@dataclass(frozen=True)
class GatePolicySpec:
    """Open a :class:`~veil.consent.gate.ConsentGate` for ``purpose`` from the registry at
    ``db_url`` (``None``: Veil's default database); picklable, so a Ray worker opens its own."""

    purpose: str
    settings: GateSettings = field(default_factory=GateSettings)
    db_url: str | None = None

    def open(self, stack: contextlib.ExitStack) -> FacePolicy:
        """The gate, closed (its pending ``identify`` events logged) when ``stack`` closes."""
        from veil.consent.gate import ConsentGate
        from veil.consent.session import open_registry
        from veil.vision.embeddings import get_embedder

        registry = stack.enter_context(open_registry(self.db_url))
        gate = ConsentGate.open(registry, self.purpose, get_embedder(), self.settings)
        stack.callback(gate.close)
        return gate
