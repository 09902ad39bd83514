"""Server-rendered SVG charts for the pages: no script, no style attribute, labelled for screen
readers (``role="img"``, a ``<title>``) with the numbers also written beside each bar."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 170
BAR_WIDTH = 260
COLOR = "#1d4f91"


def bar_chart(rows: Sequence[tuple[str, int]], title: str, chart_id: str = "chart") -> Markup:
    """A horizontal bar chart of ``(label, count)`` rows (labels already translated);
    ``chart_id`` names its title element (unique on the page)."""
    top = max((n for _, n in rows), default=0) or 1
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title"><title id="{chart_id}-title">{escape(title)}</title>'
    ]
    for i, (label, count) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = max(1, round(BAR_WIDTH * count / top)) if count else 0
        mid = y + BAR_HEIGHT // 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid}" text-anchor="end" font-size="14" '
            f'fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w}" height="{BAR_HEIGHT}" fill="{COLOR}"/>'
            f'<text x="{LABEL_WIDTH + w + 6}" y="{mid}" font-size="14" fill="#1a1a1a">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
