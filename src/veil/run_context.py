"""What every anonymization run hands its frame step and its results: the face policy and the
event sink, opened one way for ``veil blur``, ``veil gate`` and ``veil stream``.

:func:`open_run` opens the :class:`~veil.vision.policy.FacePolicySpec` (default: redact every
face) and, when the run is traced, the ledger sink (:class:`~veil.trace.RunTrace`), both on the
caller's :class:`contextlib.ExitStack`: the sink closes first, then the policy (a consent gate
logs its pending ``identify`` events on close). The batch runner passes ``policy`` to its
:class:`~veil.pipeline.Anonymizer` and records each finished file in ``trace``; the live runner
passes the same ``policy`` to every camera's redactor and records each closed segment in the same
kind of ``trace``. Neither path imports consent or the ledger to do so.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from veil.trace import RunTrace, TraceSettings
from veil.vision.policy import FacePolicy, FacePolicySpec, open_policy

__all__ = ["RunContext", "open_run"]


@dataclass(frozen=True)
class RunContext:
    """A run's open face policy and its event sink (``None``: the run is not traced)."""

    policy: FacePolicy
    trace: RunTrace | None


def open_run(
    stack: contextlib.ExitStack,
    *,
    policy: FacePolicySpec | None = None,
    trace: TraceSettings | None = None,
) -> RunContext:
    """Open ``policy`` and the ledger sink for ``trace`` on ``stack`` (closed in reverse)."""
    face_policy = open_policy(policy, stack)
    sink = RunTrace.open(trace) if trace is not None else None
    if sink is not None:
        stack.callback(sink.close)
    return RunContext(face_policy, sink)
