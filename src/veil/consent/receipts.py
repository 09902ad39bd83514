"""Give and withdraw consent as a person does (the person API): each returns a receipt.

:func:`give_consent` is :meth:`ConsentRegistry.grant` and :func:`withdraw_consent` is
:meth:`ConsentRegistry.withdraw` (what ``veil consent withdraw`` runs: the templates are
crypto-shredded and the record marked withdrawn in one transaction, effective at once, then the
event is logged); both answer with a :class:`Receipt` saying what happened, when, and at which
ledger entry. ``withdraw_consent`` with ``subject`` only touches that person's records, so one
person can never withdraw, or learn of, another's consent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Unpack

from pydantic import BaseModel, ConfigDict, Field

from veil.consent.events import EventSink
from veil.consent.records import ConsentRecord
from veil.consent.registry import ConsentError, ConsentRegistry, GrantTerms
from veil.ledger.events import Event


class Receipt(BaseModel):
    """Proof for the person of one consent change (JSON-ready)."""

    model_config = ConfigDict(frozen=True)

    action: Literal["consent_granted", "consent_withdrawn"]
    record_id: str
    controller: str
    purposes: tuple[str, ...]
    state: str = Field(description="the record's state after the change")
    at: datetime = Field(description="when the change took effect (UTC)")
    expires_at: datetime
    templates_deleted: int = Field(ge=0, description="face templates destroyed by the change")
    event_id: str = Field(description="the ledger event recording the change")
    ledger_index: int = Field(ge=0, description="its leaf index in the ledger")


class _Recorder:
    """An :class:`EventSink` that passes events on and remembers where they went."""

    def __init__(self, inner: EventSink) -> None:
        self.inner = inner
        self.appended: list[tuple[int, Event]] = []

    def pseudonym(self, subject_id: str) -> str:
        return self.inner.pseudonym(subject_id)

    def append(self, event: Event) -> int:
        index = self.inner.append(event)
        self.appended.append((index, event))
        return index

    def events_for_subject(self, pseudonym: str) -> list[Event]:
        return self.inner.events_for_subject(pseudonym)


def _recording(registry: ConsentRegistry) -> tuple[ConsentRegistry, _Recorder]:
    recorder = _Recorder(registry.sink)
    return ConsentRegistry(registry.store, recorder, registry.vault), recorder


def _receipt(record: ConsentRecord, recorder: _Recorder, action: str) -> Receipt:
    index, event = next(
        (i, e)
        for i, e in recorder.appended
        if e.action == action and e.consent_ref == record.record_id
    )
    return Receipt.model_validate(
        {
            "action": action,
            "record_id": record.record_id,
            "controller": record.controller,
            "purposes": record.purposes,
            "state": record.state.value,
            "at": record.history[-1].at if record.history else record.given_at,
            "expires_at": record.expires_at,
            "templates_deleted": event.counts.get("templates_deleted", 0),
            "event_id": event.id,
            "ledger_index": index,
        }
    )


def give_consent(registry: ConsentRegistry, **terms: Unpack[GrantTerms]) -> Receipt:
    """Record the subject's separate consent (as ``veil consent grant``) and return a receipt."""
    view, recorder = _recording(registry)
    record = view.grant(**terms)
    return _receipt(record, recorder, "consent_granted")


def withdraw_consent(
    registry: ConsentRegistry,
    record_id: str,
    *,
    subject: str | None = None,
    note: str | None = None,
) -> Receipt:
    """Withdraw one consent at once, destroying its face templates; return a receipt.

    With ``subject``, a record of anyone else is "no consent record" (as an unknown id is).
    """
    if subject is not None:
        try:
            owner = registry.get(record_id).subject
        except ConsentError:
            owner = None
        if owner != subject:
            raise ConsentError(f"no consent record {record_id!r}")
    view, recorder = _recording(registry)
    (record,) = view.withdraw(record_id, note=note)
    return _receipt(record, recorder, "consent_withdrawn")
