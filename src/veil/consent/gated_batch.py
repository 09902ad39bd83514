"""A batch through the consent gate (``veil gate``): faces of people who consented to the
purpose stay visible, every other face is redacted."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from veil.batch_run import BatchOptions, BatchOutcome, BatchWatcher, anonymize_batch
from veil.consent.gate_settings import GateSettings
from veil.consent.gate_spec import GatePolicySpec
from veil.media.targets import check_output_name

__all__ = ["GateOptions", "anonymize_gated"]


@dataclass(frozen=True, kw_only=True)
class GateOptions:
    """What ``veil gate`` parses: the purpose consent must cover, the gate's settings, the batch.

    ``batch.db`` is both the consent registry's and the ledger's database; ``batch.ledger`` None
    keeps a ledger (the gate always logs, unlike ``veil blur``).
    """

    purpose: str
    settings: GateSettings = field(default_factory=GateSettings)
    batch: BatchOptions


def anonymize_gated(options: GateOptions, watcher: BatchWatcher) -> BatchOutcome:
    """Run ``options.batch`` with a :class:`~veil.consent.gate.ConsentGate` for the purpose.

    A misnamed output is refused before the registry opens; the gate is opened where the frame
    step runs: here once, or in every Ray worker.
    """
    batch = options.batch
    check_output_name(batch.inputs, batch.output)
    if batch.ledger is None:
        batch = replace(batch, ledger=True)
    why = f"{options.purpose}: recognize consenting people, redact everyone else"
    request = batch.request("veil-gate", purpose=why)
    spec = GatePolicySpec(options.purpose, options.settings, batch.db)
    return anonymize_batch(request, watcher, policy=spec)
