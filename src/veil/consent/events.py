"""Where consent events go: the ledger, behind a small protocol.

The registry, enrollment and the gate never write events anywhere but an :class:`EventSink`,
which the ledger (:class:`veil.ledger.Ledger`) satisfies: ``pseudonym(subject_id)``,
``append(event) -> index`` and ``events_for_subject(pseudonym)``. :class:`MemorySink` is an
in-memory sink for tests and dry runs. Events name the subject only by pseudonym; the record id
(``consent_ref``) is random and carries no personal data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Protocol

from veil.consent.records import ConsentRecord
from veil.ledger.events import Event, pseudonym

SYSTEM = "veil-consent"


class EventSink(Protocol):
    """What consent needs from the ledger."""

    def pseudonym(self, subject_id: str) -> str:
        """The keyed pseudonym of a subject identifier."""
        ...

    def append(self, event: Event) -> int:
        """Record ``event`` durably; return its index."""
        ...

    def events_for_subject(self, pseudonym: str) -> list[Event]:
        """Every event about the subject with this pseudonym."""
        ...


class MemorySink:
    """An in-memory :class:`EventSink` with its own random pseudonym key."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def pseudonym(self, subject_id: str) -> str:
        """The keyed pseudonym of ``subject_id``, as the ledger would write it."""
        return pseudonym(self._key, subject_id)

    def append(self, event: Event) -> int:
        """Keep ``event``; returns its index in :attr:`events`."""
        with self._lock:
            self.events.append(event)
            return len(self.events) - 1

    def events_for_subject(self, pseudonym: str) -> list[Event]:
        """The kept events about one pseudonym, in the order they came."""
        with self._lock:
            return [e for e in self.events if e.subject == pseudonym]


def consent_event(
    sink: EventSink,
    record: ConsentRecord,
    action: str,
    *,
    purposes: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    system: str = SYSTEM,
    counts: dict[str, int] | None = None,
) -> Event:
    """An event about ``record``'s subject, on the basis of that separate consent."""
    return Event.new(
        action=action,
        controller=record.controller,
        system=system,
        data_categories=sorted(set(categories or (*record.data_categories, "consent_record"))),
        purpose=", ".join(purposes or record.purposes),
        legal_basis="consent",
        separate_consent=True,
        consent_ref=record.record_id,
        subject_pseudonym=sink.pseudonym(record.subject),
        counts=counts or {},
    )
