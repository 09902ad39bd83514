"""What the operator's dashboard counts from the most recent ledger entries: events by action
(in all, and in time buckets for the chart over time), faces redacted and frames blanked by
camera (the ``system`` of ``anonymize`` events; faces also over time), and recognitions
(``identify`` events) by purpose."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
    recognitions: Counter[str] = field(default_factory=Counter)  # identify events by purpose
    # (event time, camera, faces redacted) of each anonymize event that redacted a face
    redactions: list[tuple[datetime, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    """Counts by series (an action, a camera) in consecutive buckets of ``width`` from
    ``buckets[0]``."""

    width: timedelta
    buckets: list[datetime]
    counts: list[Counter[str]]  # one per bucket
    series: list[str]  # every series seen, the largest first


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
        when = _instant(event.time)
        out.times.append((when, event.action))
        if event.action == "anonymize":
            faces = event.counts.get("faces_redacted", 0)
            out.faces_redacted[event.system] += faces
            out.frames_blanked[event.system] += event.counts.get("frames_blanked", 0)
            if faces:
                out.redactions.append((when, event.system, faces))
        elif event.action == "identify":
            out.recognitions[event.purpose] += 1
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def timeline(
    times: Sequence[tuple[datetime, str]],
    max_buckets: int = MAX_BUCKETS,
    weights: Sequence[int] | None = None,
) -> Timeline:
    """Bucket ``(time, series)`` pairs, each counting 1 or its weight in ``weights``: the
    narrowest width of :data:`WIDTHS` whose buckets, aligned to the width from the Unix epoch,
    cover the span in at most ``max_buckets`` (for a longer span, a multiple of the widest
    width, so a stray old event cannot make hundreds)."""
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
    each = [1] * len(times) if weights is None else list(weights)
    counts: list[Counter[str]] = [Counter() for _ in buckets]
    order: Counter[str] = Counter()
    for (t, key), n in zip(times, each, strict=True):
        counts[(t - start) // width][key] += n
        order[key] += n
    return Timeline(width, buckets, counts, [a for a, _ in order.most_common()])
