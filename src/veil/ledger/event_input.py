"""Events given as JSON lines (``veil ledger append``): validated, completed, pseudonymized."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from veil.errors import BadInputError
from veil.ledger.events import Event, EventError, uuid7


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
