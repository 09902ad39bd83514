"""One ledger event per closed recording segment, logged through the run's event sink.

The event says a segment of camera video was anonymized: how many frames, faces redacted and
frames blanked, and the segment file's SHA-256 (so an auditor can tie a file to its event). It
names no person and holds no pixels. The sink is the one ``veil blur`` logs through
(:class:`veil.trace.RunTrace`, opened by :func:`veil.run_context.open_run`); it is optional.
"""

from __future__ import annotations

from veil.core.digest import file_digest
from veil.ledger.events import Event
from veil.stream.recorder import SegmentInfo
from veil.stream.request import DEFAULT_LEGAL_BASIS, DEFAULT_PURPOSE, SYSTEM
from veil.trace import RunEventSink

__all__ = [
    "DEFAULT_LEGAL_BASIS",
    "DEFAULT_PURPOSE",
    "SYSTEM",
    "SegmentEvents",
    "file_digest",
    "segment_event",
]

CATEGORIES = ["biometric.facial_image", "image.anonymized"]


def segment_event(
    info: SegmentInfo,
    *,
    controller: str = "veil",
    purpose: str = DEFAULT_PURPOSE,
    legal_basis: str = DEFAULT_LEGAL_BASIS,
    system: str = SYSTEM,
) -> Event:
    """The event for one closed segment (``system``/camera names where it was recorded)."""
    return Event.new(
        action="anonymize",
        controller=controller,
        system=f"{system}/{info.camera}",
        data_categories=CATEGORIES,
        purpose=purpose,
        legal_basis=legal_basis,
        separate_consent=legal_basis == "consent",
        counts={
            "frames": info.frames,
            "faces_redacted": info.faces_redacted,
            "frames_blanked": info.frames_blanked,
            "duration_ms": round(info.duration * 1000),
            "segment_sequence": info.sequence,
        },
        digests={"segment": file_digest(info.path)},
    )


class SegmentEvents:
    """Emits :func:`segment_event` into ``sink`` for each closed segment (a segment observer)."""

    def __init__(self, sink: RunEventSink) -> None:
        self.sink = sink
        settings = sink.settings
        # Fail early on settings the event schema refuses (not at the first segment).
        Event.new(
            action="anonymize",
            controller=sink.controller,
            system=settings.system,
            data_categories=CATEGORIES,
            purpose=settings.purpose,
            legal_basis=settings.legal_basis,
            separate_consent=settings.legal_basis == "consent",
        )

    def __call__(self, info: SegmentInfo) -> None:
        """Record one segment (a failed append is counted by the sink and raised)."""
        settings = self.sink.settings
        event = segment_event(
            info,
            controller=self.sink.controller,
            purpose=settings.purpose,
            legal_basis=settings.legal_basis,
            system=settings.system,
        )
        self.sink.emit(event)
