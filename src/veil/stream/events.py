"""One ledger event per closed recording segment, and the optional consent policy for ``--purpose``.

The event says a segment of camera video was anonymized: how many frames, faces redacted and
frames blanked, and the segment file's SHA-256 (so an auditor can tie a file to its event). It
names no person and holds no pixels. The ledger is any object with ``append(event)``
(:class:`veil.ledger.Ledger`); it is optional.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, Protocol, cast

from veil.core.digest import file_digest
from veil.ledger.events import Event
from veil.stream.recorder import SegmentInfo
from veil.vision.policy import FacePolicy

log = logging.getLogger("veil.stream")

SYSTEM = "veil-stream"
DEFAULT_PURPOSE = "camera recording with faces anonymized"
DEFAULT_LEGAL_BASIS = "other_law"


class EventAppender(Protocol):
    """What a segment ledger needs: ``append(event)``."""

    def append(self, event: Event) -> int:
        """Record ``event`` durably; return its index."""
        ...


def segment_event(
    info: SegmentInfo,
    *,
    controller: str = "veil",
    purpose: str = DEFAULT_PURPOSE,
    legal_basis: str = DEFAULT_LEGAL_BASIS,
) -> Event:
    """The event for one closed segment."""
    consent = legal_basis == "consent"
    return Event.new(
        action="anonymize",
        controller=controller,
        system=f"{SYSTEM}/{info.camera}",
        data_categories=["biometric.facial_image", "image.anonymized"],
        purpose=purpose,
        legal_basis=legal_basis,
        separate_consent=consent,
        counts={
            "frames": info.frames,
            "faces_redacted": info.faces_redacted,
            "frames_blanked": info.frames_blanked,
            "duration_ms": round(info.duration * 1000),
            "segment_sequence": info.sequence,
        },
        digests={"segment": file_digest(info.path)},
    )


class SegmentLedger:
    """Appends :func:`segment_event` for each closed segment (thread-safe; failures are counted)."""

    def __init__(
        self,
        ledger: EventAppender,
        *,
        controller: str = "veil",
        purpose: str = DEFAULT_PURPOSE,
        legal_basis: str = DEFAULT_LEGAL_BASIS,
    ) -> None:
        self.ledger = ledger
        self.controller = controller
        self.purpose = purpose
        self.legal_basis = legal_basis
        self.appended = 0
        self.failed = 0
        self._lock = threading.Lock()
        # Fail early on settings the event schema refuses (not at the first segment).
        Event.new(
            action="anonymize",
            controller=controller,
            system=SYSTEM,
            data_categories=["biometric.facial_image", "image.anonymized"],
            purpose=purpose,
            legal_basis=legal_basis,
            separate_consent=legal_basis == "consent",
        )

    def __call__(self, info: SegmentInfo) -> None:
        """Record one segment."""
        event = segment_event(
            info, controller=self.controller, purpose=self.purpose, legal_basis=self.legal_basis
        )
        with self._lock:
            try:
                self.ledger.append(event)
            except Exception:
                self.failed += 1
                raise
            self.appended += 1


def open_ledger(db_url: str | None) -> Any:
    """Open :class:`veil.ledger.Ledger` at ``db_url`` (``None``: Veil's default database)."""
    from veil.ledger import Ledger

    return Ledger.open(db_url)


def consent_policy(purpose: str, db_url: str | None, stack: contextlib.ExitStack) -> FacePolicy:
    """The consent gate's face policy for ``purpose``, opened exactly as ``veil gate`` opens it.

    The registry and the gate are closed by ``stack`` (the gate flushes its ``identify`` events).
    """
    from veil.consent.gate import ConsentGate, GateSettings
    from veil.consent.session import open_registry
    from veil.vision.embeddings import get_embedder

    registry = stack.enter_context(open_registry(db_url))
    policy = ConsentGate.open(registry, purpose, get_embedder(), GateSettings())
    stack.callback(policy.close)
    return cast(FacePolicy, policy)
