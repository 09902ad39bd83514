"""The dashboard's charts draw the log's numbers: each segment of the chart over time is the
count of one action in one period, each camera's bar its faces redacted, and the table beside
each chart holds the same numbers; title and description name them for screen readers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.chart_reading import SVG, chart_svg, chart_table
from tests.service.page_session import signed_in
from veil.service.pages.charts import PLOT_HEIGHT
from veil.service.pages.dashboard import timeline


def test_the_chart_over_time_and_its_table_hold_the_logs_counts(world: World) -> None:
    c, _ = signed_in(world, "charts")
    events = [json.loads(leaf.data) for leaf in world.app.state.veil.ledger().log.iter_leaves()]
    page = c.get("/console").text
    svg = chart_svg(page, "chart-time")
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == "Events by action over time"
    desc = svg.findtext(f"{SVG}desc") or ""
    # the page's own entries (reads logged as the dashboard rendered) come after: count those
    # that the chart counted, the first ones in the log
    drawn: Counter[tuple[str, str]] = Counter()
    heights: dict[tuple[str, str], float] = {}
    for rect in svg.iter(f"{SVG}rect"):
        if rect.get("data-bucket"):
            key = (str(rect.get("data-bucket")), str(rect.get("data-series")))
            drawn[key] += int(str(rect.get("data-count")))
            heights[key] = float(str(rect.get("height")))
    total = sum(drawn.values())
    assert desc.startswith(f"{total} events from ") and total >= len(events) - 5
    times = [
        (datetime.fromisoformat(e["time"].replace("Z", "+00:00")), e["action"]) for e in events
    ][:total]
    tl = timeline(times)
    want = Counter(
        {
            (b.isoformat(), a): n
            for b, cnt in zip(tl.buckets, tl.counts, strict=True)
            for a, n in cnt.items()
        }
    )
    assert drawn == want
    top = max(sum(cnt.values()) for cnt in tl.counts)
    for key, n in want.items():  # heights are proportional, on one scale from 0
        assert abs(heights[key] - PLOT_HEIGHT * n / top) < 0.11
    rows = chart_table(page, "chart-time")
    assert len(rows) == len(tl.buckets)
    assert [int(r[-1]) for r in rows] == [sum(cnt.values()) for cnt in tl.counts]


def test_the_faces_by_camera_bars_and_table_match_the_anonymize_events(world: World) -> None:
    c, _ = signed_in(world, "faces")
    events = [json.loads(leaf.data) for leaf in world.app.state.veil.ledger().log.iter_leaves()]
    faces: Counter[str] = Counter()
    blanked: Counter[str] = Counter()
    for e in events:
        if e["action"] == "anonymize":
            faces[e["system"].rsplit("/", 1)[-1]] += e.get("counts", {}).get("faces_redacted", 0)
            blanked[e["system"].rsplit("/", 1)[-1]] += e.get("counts", {}).get("frames_blanked", 0)
    page = c.get("/console").text
    svg = chart_svg(page, "chart-faces")
    bars = {r.get("data-label"): int(str(r.get("data-count"))) for r in svg.iter(f"{SVG}rect")}
    assert bars == dict(faces) and len(bars) >= 2
    widths = {r.get("data-label"): float(str(r.get("width"))) for r in svg.iter(f"{SVG}rect")}
    big = max(faces, key=lambda k: faces[k])
    small = min(faces, key=lambda k: faces[k])
    assert widths[big] >= widths[small] and widths[big] == 260  # the longest bar is full width
    assert f"{sum(faces.values())} in all" in (svg.findtext(f"{SVG}desc") or "")
    table = {r[0]: (int(r[1]), int(r[2])) for r in chart_table(page, "chart-faces")}
    assert table == {k: (faces[k], blanked[k]) for k in faces}
    zh = c.get("/console?lang=zh-CN").text
    assert "Faces redacted" not in zh and "Events by action" not in zh


def test_buckets_are_the_narrowest_width_that_fits() -> None:
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    times = [(start + timedelta(minutes=3 * i), "collect") for i in range(30)]  # 87 minutes
    tl = timeline(times, max_buckets=12)
    assert tl.width == timedelta(minutes=15) and len(tl.buckets) == 6
    assert sum(sum(c.values()) for c in tl.counts) == 30 and tl.buckets[0] == start
    assert timeline([]).buckets == []


def test_a_stray_old_event_does_not_make_hundreds_of_buckets() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    times = [(now - timedelta(days=3650), "collect"), (now, "collect")]
    tl = timeline(times, max_buckets=12)
    assert len(tl.buckets) <= 13 and sum(sum(c.values()) for c in tl.counts) == 2
