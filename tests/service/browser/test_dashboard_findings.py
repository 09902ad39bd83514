"""An operator reads the dashboard in Chinese, with a second site that fails its checks and
faces recognized at the desk: recognitions by purpose and faces redacted by camera over time
are drawn, the compliance findings read Chinese; the failing site's notice, opened from there,
reads Chinese too (titles, sentences, citations). Both pages are checked with axe-core and
saved as screenshots at both viewports."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.ledger.ledger_helpers import make_event
from tests.service.browser.harness import check_accessibility, open_page, screenshot
from tests.service.browser.live import Live
from veil.rules.deployments import check_deployment
from veil.service.demo import CONTROLLER, DEPLOYMENT
from veil.service.deployments import DeploymentInfo, deployment_file, register_deployment
from veil.service.pages.findings import rule_text
from veil.service.pages.i18n import translations

ZH = translations("zh-CN")
LAX = "lax-gate"


def _lax_site(live: Live) -> list[str]:
    """Register a deployment that fails several checks; its findings' check ids."""
    body = {**DEPLOYMENT["deployment"], "name": "Lax gate", "retention_days": None,
            "separate_consent": False, "private_spaces": ["toilet"]}  # fmt: skip
    home = live.world.settings.veil_home()
    info = DeploymentInfo(name=LAX, controller=CONTROLLER, notice_version="1", notice_text="n")
    register_deployment(home, info, yaml.safe_dump({"deployment": body}).encode())
    return [f.check_id for f in check_deployment(deployment_file(home, LAX)).findings]


def test_an_operator_reads_findings_and_charts_in_chinese(
    live: Live, browser: Any, viewport: str
) -> None:
    checks = _lax_site(live)
    assert len(checks) >= 3
    ledger = live.app.state.veil.ledger()
    for i, purpose in enumerate(["visitor-greeting"] * 3 + ["staff-entry"]):
        ledger.append(
            make_event(i, subject=ledger.pseudonym("v"), action="identify", purpose=purpose)
        )
    page, errors = open_page(browser, viewport, locale="zh-CN", timezone="Asia/Shanghai")
    live.sign_in(page, "operator")
    with page.expect_navigation():
        page.get_by_role("link", name="简体中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    bars = page.locator("#chart-recognitions rect[data-count]")
    assert {b.get_attribute("data-label"): b.get_attribute("data-count") for b in bars.all()} == {
        "visitor-greeting": "3", "staff-entry": "1",
    }  # fmt: skip
    assert page.locator("#chart-faces-time rect[data-series]").count() >= 2
    lax = page.locator(f'[data-compliance="{LAX}"]')
    assert lax.get_attribute("data-compliant") == "false"
    section = page.locator("section[aria-labelledby=comp-h]")
    found = [el.get_attribute("data-check") for el in section.locator("[data-check]").all()]
    assert found == checks
    text = section.inner_text()
    assert section.locator('[lang="en"]').count() == 0
    for f in check_deployment(deployment_file(live.world.settings.veil_home(), LAX)).findings:
        assert rule_text(f.title, "zh-CN").text in text and f.title not in text
    check_accessibility(page)
    screenshot(page, f"journey-operator-dashboard-zh-{viewport}")
    with page.expect_navigation():
        lax.get_by_role("link", name=LAX).click()
    assert page.url.endswith(f"/notice/{LAX}")
    findings = page.locator("li.finding")
    assert findings.count() == len(checks)
    notice = page.inner_text("main")
    assert "《中华人民共和国个人信息保护法》第" in notice
    assert (
        not re.search(r"\bArt\. \d", notice) and page.locator('li.finding [lang="en"]').count() == 0
    )
    assert ZH.gettext("The checks found problems with this site.") in notice
    check_accessibility(page)
    screenshot(page, f"journey-notice-findings-zh-{viewport}")
    assert not errors, errors
    page.context.close()
