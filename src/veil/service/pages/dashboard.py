"""What the operator's dashboard counts from the most recent ledger entries: events by action
(in all, and in time buckets for the chart over time), and faces redacted and frames blanked by
camera (the ``system`` of ``anonymize`` events)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from veil.ledger.events import Event, EventError

if TYPE_CHECKING:
    from veil.ledger import Ledger

# bucket widths the chart over time may use, the smallest that gives at most MAX_BUCKETS
WIDTHS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 180, 360, 720, 1440, 10080, 43200))
MAX_BUCKETS = 12


@dataclass
class RecentCounts:
    """Counts over the last ``window`` entries of a log of ``size`` entries."""

    size: int
    window: int
    actions: Counter[str] = field(default_factory=Counter)
    faces_redacted: Counter[str] = field(default_factory=Counter)
    frames_blanked: Counter[str] = field(default_factory=Counter)
    times: list[tuple[datetime, str]] = field(default_factory=list)  # (event time, action)


@dataclass(frozen=True)
class Timeline:
    """Events by action in consecutive buckets of ``width`` from ``buckets[0]``."""

    width: timedelta
    buckets: list[datetime]
    counts: list[Counter[str]]  # one per bucket
    actions: list[str]  # every action seen, most frequent first


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
        out.times.append((_instant(event.time), event.action))
        if event.action == "anonymize":
            out.faces_redacted[event.system] += event.counts.get("faces_redacted", 0)
            out.frames_blanked[event.system] += event.counts.get("frames_blanked", 0)
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def timeline(times: list[tuple[datetime, str]], max_buckets: int = MAX_BUCKETS) -> Timeline:
    """Bucket ``(time, action)`` pairs: the narrowest width of :data:`WIDTHS` whose buckets,
    aligned to the width from the Unix epoch, cover the span in at most ``max_buckets`` (for a
    longer span, a multiple of the widest width, so a stray old event cannot make hundreds)."""
    if not times:
        return Timeline(WIDTHS[0], [], [], [])
    first = min(t for t, _ in times)
    last = max(t for t, _ in times)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for width in WIDTHS:
        start = epoch + ((first - epoch) // width) * width
        n = (last - start) // width + 1
        if n <= max_buckets:
            break
    else:  # a span beyond the widest width's buckets: multiples of it
        width = WIDTHS[-1] * -(-n // max_buckets)
        start = epoch + ((first - epoch) // width) * width
        n = (last - start) // width + 1
    buckets = [start + i * width for i in range(n)]
    counts: list[Counter[str]] = [Counter() for _ in buckets]
    for t, action in times:
        counts[(t - start) // width][action] += 1
    order = Counter(a for _, a in times)
    return Timeline(width, buckets, counts, [a for a, _ in order.most_common()])
