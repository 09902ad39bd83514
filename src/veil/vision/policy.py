"""Face policies: which detected faces a frame keeps and which it redacts.

The pipeline calls a policy once per frame with the frame (BGR ``uint8``) and its tracked
detections. The default :class:`RedactAll` redacts every face; consent gating is another policy
(``veil.consent.gate``). A policy that raises, or returns decisions of the wrong length, makes the
pipeline redact every face of that frame (fail closed).

Runs are handed a :class:`FacePolicySpec`, never an open policy: files (``veil blur``, ``veil
gate``), Ray workers and live streams (``veil stream``) each open it with :func:`open_policy`
where their frame step runs, and close it with the run (a consent gate holds a database
connection and flushes its events on close).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from veil.core.frame import Frame
from veil.vision.detections import BoolArray, Detections

__all__ = [
    "FaceDecisions",
    "FacePolicy",
    "FacePolicySpec",
    "Frame",
    "GivenPolicy",
    "RedactAll",
    "decide_fail_closed",
    "open_policy",
]


@dataclass(frozen=True)
class FaceDecisions:
    """Per-face verdicts for one frame: ``redact[i]`` is True when face ``i`` must be hidden.

    ``labels[i]`` is an optional text drawn beside a kept face (e.g. a consenting member's
    display label); it is ``None`` for redacted faces.
    """

    redact: BoolArray
    labels: list[str | None] = field(default_factory=list)

    @classmethod
    def redact_all(cls, count: int) -> FaceDecisions:
        """Hide every face."""
        return cls(np.ones(count, dtype=bool), [None] * count)


class FacePolicy(Protocol):
    """Decides which faces of a frame are redacted."""

    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        """Return one verdict per detection."""
        ...


class RedactAll:
    """The default policy: every face is redacted."""

    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        """Hide every face."""
        return FaceDecisions.redact_all(len(detections))


class FacePolicySpec(Protocol):
    """How to open a face policy where the frame step runs (a Ray spec must also pickle)."""

    def open(self, stack: contextlib.ExitStack) -> FacePolicy:
        """The policy, closed (its pending events flushed) when ``stack`` closes."""
        ...


@dataclass(frozen=True)
class GivenPolicy:
    """A spec for a policy already open (a Python caller's own); closing it is the caller's job."""

    policy: FacePolicy

    def open(self, stack: contextlib.ExitStack) -> FacePolicy:
        """The policy as given."""
        return self.policy


def open_policy(spec: FacePolicySpec | None, stack: contextlib.ExitStack) -> FacePolicy:
    """Open ``spec`` on ``stack``; without one, every face is redacted (:class:`RedactAll`)."""
    return RedactAll() if spec is None else spec.open(stack)


def decide_fail_closed(policy: FacePolicy, frame: Frame, detections: Detections) -> FaceDecisions:
    """Run ``policy``; on any error or malformed answer, redact every face."""
    count = len(detections)
    try:
        decisions = policy.decide(frame, detections)
        redact = np.asarray(decisions.redact, dtype=bool).reshape(-1)
    except Exception:
        return FaceDecisions.redact_all(count)
    if redact.shape != (count,):
        return FaceDecisions.redact_all(count)
    labels = list(decisions.labels) if len(decisions.labels) == count else [None] * count
    labels = [None if redact[i] else labels[i] for i in range(count)]
    return FaceDecisions(redact, labels)
