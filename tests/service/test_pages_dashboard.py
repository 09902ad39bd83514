"""The dashboard's recognitions by purpose, faces redacted by camera over time and compliance
findings: each draws what the log and the deployment files hold, in both languages."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import yaml

from tests.ledger.ledger_helpers import make_event
from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from tests.service.chart_reading import SVG, chart_svg, chart_table
from tests.service.page_session import signed_in
from veil.rules.deployments import check_deployment
from veil.service.demo import CONTROLLER, DEPLOYMENT
from veil.service.deployments import deployment_file
from veil.service.pages.dashboard import timeline
from veil.service.pages.findings import rule_text


def test_recognitions_by_purpose_count_the_identify_events(world: World) -> None:
    ledger = world.app.state.veil.ledger()
    purposes = ["visitor-greeting"] * 3 + ["staff-entry"] * 2 + ["vip-lounge"]
    for i, purpose in enumerate(purposes):
        ledger.append(make_event(i, subject=world.subject_a, action="identify", purpose=purpose))
    c, _ = signed_in(world, "recog")
    page = c.get("/console").text
    svg = chart_svg(page, "chart-recognitions")
    bars = {r.get("data-label"): int(str(r.get("data-count"))) for r in svg.iter(f"{SVG}rect")}
    assert bars == dict(Counter(purposes))
    assert (svg.findtext(f"{SVG}desc") or "").startswith("6 recognitions")
    assert "visitor-greeting" in (svg.findtext(f"{SVG}desc") or "")  # the most frequent
    assert chart_table(page, "chart-recognitions") == [
        ["visitor-greeting", "3"], ["staff-entry", "2"], ["vip-lounge", "1"],
    ]  # fmt: skip
    zh = c.get("/console?lang=zh-CN").text
    assert "按目的统计的识别次数" in zh and "Recognitions by purpose" not in zh


def test_faces_redacted_over_time_per_camera_match_the_anonymize_events(world: World) -> None:
    c, _ = signed_in(world, "faces-time")
    events = [json.loads(leaf.data) for leaf in world.app.state.veil.ledger().log.iter_leaves()]
    page = c.get("/console").text
    svg = chart_svg(page, "chart-faces-time")
    drawn: Counter[tuple[str, str]] = Counter()
    for rect in svg.iter(f"{SVG}rect"):
        if rect.get("data-bucket"):
            drawn[(str(rect.get("data-bucket")), str(rect.get("data-series")))] += int(
                str(rect.get("data-count"))
            )
    faces = [
        (datetime.fromisoformat(e["time"].replace("Z", "+00:00")), e["system"],
         e["counts"]["faces_redacted"])
        for e in events if e["action"] == "anonymize" and e["counts"].get("faces_redacted")
    ]  # fmt: skip
    assert len({s for _, s, _ in faces}) >= 2  # the demo's cameras
    tl = timeline([(t, s) for t, s, _ in faces], weights=[n for _, _, n in faces])
    want = Counter(
        {(b.isoformat(), s): n for b, cnt in zip(tl.buckets, tl.counts, strict=True)
         for s, n in cnt.items()}
    )  # fmt: skip
    assert drawn == want and sum(drawn.values()) == sum(n for _, _, n in faces)
    rows = chart_table(page, "chart-faces-time")
    assert [int(r[-1]) for r in rows] == [sum(cnt.values()) for cnt in tl.counts]
    legend = {t.text for t in svg.iter(f"{SVG}text")}
    assert {s.rsplit("/", 1)[-1] for _, s, _ in faces} <= legend  # cameras by name
    desc = svg.findtext(f"{SVG}desc") or ""
    assert desc.startswith(f"{sum(n for _, _, n in faces)} faces redacted from ")


def test_weights_count_in_a_timeline() -> None:
    t0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    tl = timeline([(t0, "a"), (t0 + timedelta(minutes=1), "b"), (t0, "b")], weights=[5, 2, 1])
    assert (
        tl.series == ["a", "b"]
        and sum(tl.counts[0].values()) + sum(sum(c.values()) for c in tl.counts[1:]) == 8
    )
    assert tl.counts[0]["a"] == 5


def test_the_dashboard_lists_each_deployments_compliance_findings(world: World) -> None:
    body = {**DEPLOYMENT["deployment"], "name": "Lax gate", "retention_days": None,
            "separate_consent": False, "private_spaces": ["toilet"]}  # fmt: skip
    r = world.operator.post(
        "/api/v1/operator/deployments",
        json={
            "name": "lax-gate", "controller": CONTROLLER, "notice_version": "1",
            "notice_text": "notice", "content": yaml.safe_dump({"deployment": body}),
        },
    )  # fmt: skip
    assert r.status_code == 201, r.text
    home = world.app.state.veil.settings.veil_home()
    report = check_deployment(deployment_file(home, "lax-gate"))
    assert len(report.findings) >= 3
    c, _ = signed_in(world, "compliance")
    page = c.get("/console").text
    section = page.split('id="comp-h"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-compliance="([a-z-]+)" data-compliant="([a-z]+)"', section) == [
        ("lax-gate", "false"), (SITE, "true"),
    ]  # fmt: skip
    assert 'href="/notice/lax-gate"' in section
    assert re.findall(r'data-check="([A-Z0-9-]+)"', section) == [
        f.check_id for f in report.findings
    ]
    for f in report.findings:
        assert f.title in section
    zh = c.get("/console?lang=zh-CN").text
    zh_section = zh.split('id="comp-h"', 1)[1].split("</section>", 1)[0]
    for f in report.findings:
        assert rule_text(f.title, "zh-CN").text in zh_section and f.title not in zh_section
    assert 'lang="en"' not in zh_section
