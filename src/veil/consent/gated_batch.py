"""A batch through the consent gate (``veil gate``): faces of people who consented to the
purpose stay visible, every other face is redacted."""

from __future__ import annotations

from veil.batch_run import BatchOutcome, BatchRequest, BatchWatcher, anonymize_batch
from veil.consent.gate import GateSettings


def anonymize_gated(
    request: BatchRequest,
    watcher: BatchWatcher,
    *,
    db_url: str | None,
    purpose: str,
    settings: GateSettings,
) -> BatchOutcome:
    """Run ``request`` with a :class:`~veil.consent.gate.ConsentGate` for ``purpose``.

    Locally the registry at ``db_url`` is opened once; on Ray every worker opens its own gate.
    """
    if request.ray is not None:
        from veil.config import default_db_url
        from veil.scale.policies import GatePolicySpec

        spec = GatePolicySpec(db_url or default_db_url(), purpose, settings)
        return anonymize_batch(request, watcher, ray_policy=spec)
    from veil.consent.gate import ConsentGate
    from veil.consent.session import open_registry
    from veil.vision.embeddings import get_embedder

    with open_registry(db_url) as registry:
        policy = ConsentGate.open(registry, purpose, get_embedder(), settings)
        try:
            return anonymize_batch(request, watcher, policy=policy)
        finally:
            policy.close()
