"""How events become store rows and back, with the checks on the way: pseudonyms, event ids,
and whether a stored leaf still matches its indexes."""

from __future__ import annotations

import uuid

from veil.errors import BadInputError, VerificationError
from veil.ledger.events import Event, EventError
from veil.ledger.stores import LeafRow, StoredLeaf, subject_key

_PSEUDONYM_HEX = frozenset("0123456789abcdef")


def check_pseudonym(value: str) -> str:
    """``value`` when it is a subject pseudonym (64 lower-case hex digits); else EventError."""
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= _PSEUDONYM_HEX:
        raise EventError("a subject pseudonym is 64 lower-case hex digits (from Ledger.pseudonym)")
    return value


def event_row(event: Event) -> LeafRow:
    """The row that logs ``event``: its canonical bytes, its id and its subject."""
    if not isinstance(event, Event):
        raise EventError(f"only Event objects can be appended, not {type(event).__name__}")
    subject = bytes.fromhex(event.subject) if event.subject else None
    return LeafRow(event.canonical(), event.event_id_bytes, subject)


def event_id_bytes(event_id: str) -> bytes:
    """The 16 bytes of an event id given as UUID text; BadInputError when it is not one."""
    try:
        return uuid.UUID(event_id.strip()).bytes
    except (ValueError, AttributeError):
        raise BadInputError(f"{event_id!r} is not an event id (a UUID)") from None


def leaf_event(leaf: StoredLeaf) -> Event:
    """The event a stored leaf holds; VerificationError when the leaf is not a valid event."""
    try:
        return Event.from_canonical(leaf.data)
    except EventError as exc:
        raise VerificationError(
            f"leaf {leaf.index} is not a valid event ({exc}): run `veil ledger verify`"
        ) from None


def leaf_problems(leaf: StoredLeaf) -> list[str]:
    """What is wrong with one stored leaf: not an event, or indexes that do not match it."""
    try:
        event = Event.from_canonical(leaf.data)
    except EventError as exc:
        return [f"not a valid canonical event ({exc})"]
    out = []
    if leaf.event_id != event.event_id_bytes:
        out.append("its event id index does not match the event (the index was edited)")
    want = bytes.fromhex(event.subject) if event.subject else None
    if leaf.subject != want or leaf.subject_key != subject_key(want):
        out.append("its subject index does not match the event (the index was edited)")
    return out
