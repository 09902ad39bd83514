"""Server-rendered SVG charts for the pages: no script, no style attribute, labelled for screen
readers (``role="img"``, a ``<title>`` and a ``<desc>`` summing up the data), the numbers also
written beside each bar, and the same data as a table beside each chart (``chart_table``).
Every mark carries its numbers as ``data-*`` attributes, so a test can read what is drawn."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from veil.service.pages.dashboard import Timeline

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 170
BAR_WIDTH = 260
COLOR = "#1d4f91"
# series colours, each at least 3:1 against white (WCAG 1.4.11); further series share the last
PALETTE = ("#1d4f91", "#b35c00", "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#5d4037", "#455a64")
PLOT_HEIGHT = 180
COLUMN = 34
AXIS = 44  # room for the count axis on the left
FOOT = 40  # room for the time labels below
TEXT = 'font-size="13" fill="#1a1a1a"'


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def bar_chart(
    rows: Sequence[tuple[str, int]], title: str, chart_id: str = "chart", desc: str = ""
) -> Markup:
    """A horizontal bar chart of ``(label, count)`` rows (labels already translated);
    ``chart_id`` names its elements (unique on the page)."""
    top = max((n for _, n in rows), default=0) or 1
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [_open(chart_id, width, height, title, desc or title)]
    for i, (label, count) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = max(1, round(BAR_WIDTH * count / top)) if count else 0
        mid = y + BAR_HEIGHT // 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid}" text-anchor="end" font-size="14" '
            f'fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w}" height="{BAR_HEIGHT}" fill="{COLOR}" '
            f'data-label="{escape(label)}" data-count="{count}"/>'
            f'<text x="{LABEL_WIDTH + w + 6}" y="{mid}" font-size="14" fill="#1a1a1a">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bucket_label(start: datetime, width: timedelta) -> str:
    """A bucket's start as short UTC text: the time of day for buckets under a day."""
    return start.strftime("%H:%M" if width < timedelta(days=1) else "%m-%d")


def stacked_columns(
    data: Timeline, title: str, desc: str, name: Callable[[str], str], chart_id: str
) -> Markup:
    """Counts over time: one column per bucket, one coloured segment per series (an action, a
    camera: ``name`` gives its label), with a legend; the count axis starts at 0."""
    totals = [sum(c.values()) for c in data.counts]
    top = max(totals, default=0) or 1
    legend_rows = (len(data.series) + 1) // 2
    plot_end = AXIS + 4 + max(1, len(data.buckets)) * COLUMN
    width = max(plot_end + 44, 420)  # room for the legend's two columns and "UTC"
    height = PLOT_HEIGHT + FOOT + legend_rows * 22 + 10
    parts = [_open(chart_id, width, height, title, desc)]
    base = PLOT_HEIGHT + 10
    parts.append(
        f'<line x1="{AXIS}" y1="{base}" x2="{plot_end}" y2="{base}" stroke="#4a535c"/>'
        f'<text x="{plot_end + 4}" y="{base + 18}" {TEXT}>UTC</text>'
        f'<text x="{AXIS - 6}" y="{base}" text-anchor="end" {TEXT}>0</text>'
        f'<text x="{AXIS - 6}" y="18" text-anchor="end" {TEXT}>{top}</text>'
    )
    colours = {a: PALETTE[min(i, len(PALETTE) - 1)] for i, a in enumerate(data.series)}
    step = max(1, (len(data.buckets) + 5) // 6)  # at most about six time labels
    for i, (start, counts) in enumerate(zip(data.buckets, data.counts, strict=True)):
        x = AXIS + 4 + i * COLUMN
        y = float(base)
        for key in data.series:
            n = counts.get(key, 0)
            if not n:
                continue
            h = PLOT_HEIGHT * n / top
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{COLUMN - 8}" height="{h:.1f}" '
                f'fill="{colours[key]}" data-bucket="{start.isoformat()}" '
                f'data-series="{escape(key)}" data-count="{n}"/>'
            )
        if i % step == 0:
            parts.append(
                f'<text x="{x + (COLUMN - 8) / 2}" y="{base + 18}" text-anchor="middle" {TEXT}>'
                f"{bucket_label(start, data.width)}</text>"
            )
    for i, key in enumerate(data.series):
        lx = AXIS + (i % 2) * 200
        ly = base + FOOT + (i // 2) * 22
        parts.append(
            f'<rect x="{lx}" y="{ly - 11}" width="12" height="12" fill="{colours[key]}"/>'
            f'<text x="{lx + 18}" y="{ly}" {TEXT}>{escape(name(key))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
