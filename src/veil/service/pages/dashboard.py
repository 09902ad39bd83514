"""What the operator's dashboard counts from the most recent ledger entries: events by action,
and faces redacted and frames blanked by camera (the ``system`` of ``anonymize`` events)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from veil.ledger.events import Event, EventError

if TYPE_CHECKING:
    from veil.ledger import Ledger


@dataclass
class RecentCounts:
    """Counts over the last ``window`` entries of a log of ``size`` entries."""

    size: int
    window: int
    actions: Counter[str] = field(default_factory=Counter)
    faces_redacted: Counter[str] = field(default_factory=Counter)
    frames_blanked: Counter[str] = field(default_factory=Counter)


def recent_counts(ledger: Ledger, window: int = 5000) -> RecentCounts:
    """Count the last ``window`` entries (an unreadable one counts as the action ``?``: the
    monitor reports it)."""
    size = ledger.head().size
    out = RecentCounts(size, min(size, window))
    for leaf in ledger.log.iter_leaves(max(0, size - window)):
        try:
            event = Event.from_canonical(leaf.data)
        except EventError:
            out.actions["?"] += 1
            continue
        out.actions[event.action] += 1
        if event.action == "anonymize":
            out.faces_redacted[event.system] += event.counts.get("faces_redacted", 0)
            out.frames_blanked[event.system] += event.counts.get("frames_blanked", 0)
    return out
