"""Events given as JSON lines (``veil ledger append``): validated, completed, pseudonymized,
then appended (:func:`append_lines`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from veil.errors import BadInputError
from veil.ledger.events import Event, EventError, uuid7

if TYPE_CHECKING:
    from veil.ledger import Ledger


def now_stamp() -> str:
    """The current UTC time as an event timestamp with milliseconds (``...T12:00:00.123Z``)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_event_line(line: str, pseudonym: Callable[[str], str], where: str) -> Event:
    """One JSON event object; "id" and "time" filled in, a raw "subject_id" pseudonymized.

    ``pseudonym`` maps a raw subject id to its keyed pseudonym (``Ledger.pseudonym``); the raw id
    is never kept. Every problem is a :class:`BadInputError` naming ``where``.
    """
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadInputError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{where}: an event must be a JSON object")
    raw_subject = data.pop("subject_id", None)
    if raw_subject is not None:
        if data.get("subject") is not None:
            raise BadInputError(f"{where}: give subject_id or subject, not both")
        if not isinstance(raw_subject, str):
            raise BadInputError(f"{where}: subject_id must be a string")
        data["subject"] = pseudonym(raw_subject)
    if "time" not in data:
        data["time"] = now_stamp()
    data.setdefault("id", uuid7())
    try:
        return Event.parse(data)
    except EventError as exc:
        raise BadInputError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class Appended:
    """The events one append logged: (leaf index, event id) of each, in order."""

    entries: tuple[tuple[int, str], ...]

    def as_list(self) -> list[dict[str, Any]]:
        """The JSON form ``veil ledger append --json`` prints: ``{"index", "id"}`` per event."""
        return [{"index": i, "id": e} for i, e in self.entries]

    def lines(self) -> list[str]:
        """The text form: each event's leaf index on its own line."""
        return [str(i) for i, _ in self.entries]


def append_lines(ledger: Ledger, lines: Iterable[str], batch: int = 10_000) -> Appended:
    """Validate every JSON line (blank lines skipped), then log the events ``batch`` per
    durable transaction. A bad line (named ``line N``) appends nothing."""
    events = [
        parse_event_line(line, ledger.pseudonym, f"line {n}")
        for n, line in enumerate(lines, start=1)
        if line.strip()
    ]
    indexes: list[int] = []
    for i in range(0, len(events), batch):
        indexes.extend(ledger.append_many(events[i : i + batch]))
    return Appended(tuple((i, e.id) for i, e in zip(indexes, events, strict=True)))
