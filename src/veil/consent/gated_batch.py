"""A batch through the consent gate (``veil gate``): faces of people who consented to the
purpose stay visible, every other face is redacted."""

from __future__ import annotations

from veil.batch_run import BatchOutcome, BatchRequest, BatchWatcher, anonymize_batch
from veil.consent.gate import GateSettings
from veil.consent.gate_spec import GatePolicySpec


def anonymize_gated(
    request: BatchRequest,
    watcher: BatchWatcher,
    *,
    db_url: str | None,
    purpose: str,
    settings: GateSettings,
) -> BatchOutcome:
    """Run ``request`` with a :class:`~veil.consent.gate.ConsentGate` for ``purpose``.

    The gate is opened where the frame step runs: here once, or in every Ray worker.
    """
    spec = GatePolicySpec(purpose, settings, db_url)
    return anonymize_batch(request, watcher, policy=spec)
