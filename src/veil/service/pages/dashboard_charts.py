"""The dashboard's charts, translated: events by action over time and faces redacted by camera
over time (stacked columns), events by action, recognitions by purpose and faces redacted by
camera (bars), each with a summary for screen readers and the same numbers as a table."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from veil.service.pages import labels
from veil.service.pages.charts import bar_chart, stacked_columns
from veil.service.pages.dashboard import RecentCounts, Timeline, timeline
from veil.service.pages.labels import N_

HEAD_TIME = N_("Period starting")
HEAD_TOTAL = N_("Total")
HEAD_ACTION = N_("Action")
HEAD_EVENTS = N_("Events")
HEAD_CAMERA = N_("Camera")
HEAD_FACES = N_("Faces redacted")
HEAD_BLANKED = N_("Frames blanked")
HEAD_PURPOSE = N_("Purpose")
HEAD_RECOGNITIONS = N_("Recognitions")


@dataclass
class Chart:
    """One chart: its title, the SVG, and its data as a table (``times``: the first cell of
    each row is an instant, shown in the viewer's time zone)."""

    chart_id: str
    title: str
    svg: Markup
    head: list[str]
    rows: list[list[object]] = field(default_factory=list)
    times: bool = False


def _utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def _over_time(
    chart_id: str, title: str, desc: str, tl: Timeline, name: Callable[[str], str],
    tr: gettext.GNUTranslations,
) -> Chart:  # fmt: skip
    """A chart of counts over time (stacked columns) and its table: one row per period."""
    svg = stacked_columns(tl, title, desc, name, chart_id)
    head = [tr.gettext(HEAD_TIME), *(name(a) for a in tl.series), tr.gettext(HEAD_TOTAL)]
    rows: list[list[object]] = [
        [start, *(c.get(a, 0) for a in tl.series), sum(c.values())]
        for start, c in zip(tl.buckets, tl.counts, strict=True)
    ]
    return Chart(chart_id, title, svg, head, rows, times=True)


def _span(tl: Timeline) -> dict[str, object]:
    """The placeholders of a chart over time's summary: its start, end and column width."""
    end = tl.buckets[-1] + tl.width
    return {
        "start": _utc(tl.buckets[0]), "end": _utc(end),
        "minutes": int(tl.width.total_seconds() // 60),
    }  # fmt: skip


def _camera(system: str) -> str:
    return system.rsplit("/", 1)[-1]


def dashboard_charts(counts: RecentCounts, tr: gettext.GNUTranslations) -> list[Chart]:
    """The charts of ``counts`` in the language of ``tr`` (none for an empty log)."""

    def name(action: str) -> str:
        return tr.gettext(labels.label(labels.ACTIONS, action))

    out: list[Chart] = []
    tl = timeline(counts.times)
    if tl.buckets:
        desc = tr.ngettext(
            "%(num)d event from %(start)s to %(end)s (UTC), in columns of %(minutes)d minutes; "
            "the most frequent: %(action)s.",
            "%(num)d events from %(start)s to %(end)s (UTC), in columns of %(minutes)d minutes; "
            "the most frequent: %(action)s.",
            len(counts.times),
        ) % {"num": len(counts.times), "action": name(tl.series[0]), **_span(tl)}
        title = tr.gettext(labels.CHART_ACTIONS_OVER_TIME)
        out.append(_over_time("chart-time", title, desc, tl, name, tr))
    if counts.actions:
        title = tr.gettext(labels.CHART_BY_ACTION)
        ranked = counts.actions.most_common()
        desc = tr.ngettext(
            "%(num)d recent event; the most frequent: %(action)s.",
            "%(num)d recent events; the most frequent: %(action)s.",
            counts.window,
        ) % {"num": counts.window, "action": name(ranked[0][0])}
        bars = [(name(a), n) for a, n in ranked]
        svg = bar_chart(bars, title, "chart-actions", desc)
        head = [tr.gettext(HEAD_ACTION), tr.gettext(HEAD_EVENTS)]
        out.append(Chart("chart-actions", title, svg, head, [[a, n] for a, n in bars]))
    if counts.recognitions:
        title = tr.gettext(labels.CHART_RECOGNITIONS)
        ranked = counts.recognitions.most_common()
        total = sum(counts.recognitions.values())
        desc = tr.ngettext(
            "%(num)d recognition in the recent events; the most for: %(purpose)s.",
            "%(num)d recognitions in the recent events; the most for: %(purpose)s.",
            total,
        ) % {"num": total, "purpose": ranked[0][0]}
        svg = bar_chart(ranked, title, "chart-recognitions", desc)
        head = [tr.gettext(HEAD_PURPOSE), tr.gettext(HEAD_RECOGNITIONS)]
        rows = [[p, n] for p, n in ranked]
        out.append(Chart("chart-recognitions", title, svg, head, rows))
    if counts.faces_redacted:
        title = tr.gettext(labels.CHART_FACES_BY_CAMERA)
        systems = sorted(counts.faces_redacted)
        cams = [(_camera(s), counts.faces_redacted[s]) for s in systems]
        desc = tr.ngettext(
            "Faces redacted by %(num)d camera, %(total)d in all.",
            "Faces redacted by %(num)d cameras, %(total)d in all.",
            len(cams),
        ) % {"num": len(cams), "total": sum(n for _, n in cams)}
        svg = bar_chart(cams, title, "chart-faces", desc)
        head = [tr.gettext(h) for h in (HEAD_CAMERA, HEAD_FACES, HEAD_BLANKED)]
        rows = [
            [label, n, counts.frames_blanked.get(s, 0)]
            for (label, n), s in zip(cams, systems, strict=True)
        ]
        out.append(Chart("chart-faces", title, svg, head, rows))
    if counts.redactions:
        red = counts.redactions
        tl = timeline([(t, s) for t, s, _ in red], weights=[n for _, _, n in red])
        total = sum(n for _, _, n in red)
        desc = tr.ngettext(
            "%(num)d face redacted from %(start)s to %(end)s (UTC), in columns of %(minutes)d "
            "minutes; the most by: %(camera)s.",
            "%(num)d faces redacted from %(start)s to %(end)s (UTC), in columns of %(minutes)d "
            "minutes; the most by: %(camera)s.",
            total,
        ) % {"num": total, "camera": _camera(tl.series[0]), **_span(tl)}
        title = tr.gettext(labels.CHART_FACES_OVER_TIME)
        out.append(_over_time("chart-faces-time", title, desc, tl, _camera, tr))
    return out
