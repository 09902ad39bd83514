"""The public notice and its A4 sign in a real browser: both languages from the catalogs, the
language switch, local time, no CSP violation, axe-core clean, the QR code opens the notice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import pytest

from tests.service.browser.harness import PageServer, check_accessibility, open_page, screenshot
from tests.service.browser.trace_ledger import event
from veil.ledger import Ledger
from veil.ledger.witness import Witness
from veil.service.notices import DeploymentNotice, deployment_notice
from veil.service.pages import choose_language, render_notice, sign_a4
from veil.service.pages.i18n import translations

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HEADINGS = ("Who and why", "Face recognition", "Compliance check", "Public log")


@pytest.fixture
def notice(tmp_path: Path) -> DeploymentNotice:
    with Ledger.open(
        f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "k", origin="veil.test/log"
    ) as led:
        w = Witness.create(tmp_path / "w", "w1.example")
        w.add_log(led.vkey)
        led.append(event(led.pseudonym("visitor-1"), "collect"))
        led.checkpoint([w])
        return deployment_notice(
            EXAMPLES / "deployment-sales-office.yaml", led, operator="Riverside Developments"
        )


def _serve_notice(server: PageServer, notice: DeploymentNotice) -> str:
    def handler(req: Any) -> tuple[str, bytes]:
        lang = choose_language(req.accept_language, req.query.get("lang"))
        html = render_notice(notice, lang, sign_url="/sign", now=NOW)
        return ("text/html; charset=utf-8", html.encode())

    return server.add("/notice", handler)


def _headings(page: Any) -> list[str]:
    return [h.strip() for h in page.locator("main h2").all_inner_texts()]


def test_a_visitor_reads_the_notice_in_both_languages(
    browser: Any, server: PageServer, notice: DeploymentNotice, viewport: str
) -> None:
    url = _serve_notice(server, notice)
    page, errors = open_page(browser, viewport, locale="zh-CN", timezone="Asia/Shanghai")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    zh = translations("zh-CN")
    want_zh = [zh.gettext(m) for m in HEADINGS]
    assert want_zh != list(HEADINGS)  # the catalog, not the English message ids
    assert _headings(page) == want_zh
    assert zh.gettext("Faces are redacted at capture.") not in page.inner_text("main")
    assert "Riverside Developments" in page.inner_text("main")
    assert page.locator("time").first.inner_text().find("11:04") >= 0  # 03:04 UTC in Shanghai
    check_accessibility(page)
    screenshot(page, f"notice-zh-CN-{viewport}")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/notice?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _headings(page) == [translations("en").gettext(m) for m in HEADINGS]
    text = page.inner_text("main")
    assert "PIPL Art. 29" in text and "1 witness cosigned it" in text
    check_accessibility(page)
    screenshot(page, f"notice-en-{viewport}")
    page.keyboard.press("Tab")  # the first stop is the skip link, and it leads to the content
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert not errors, errors
    page.context.close()


def test_the_a4_sign_prints_on_one_page_and_its_qr_code_opens_the_notice(
    browser: Any, server: PageServer, notice: DeploymentNotice, tmp_path: Path
) -> None:
    target = "https://veil.example/notice/riverside-sales"
    url = server.page("/sign", sign_a4(notice, target, "zh-CN"))
    page, errors = open_page(browser, "desktop", locale="zh-CN")
    page.goto(url)
    shot = screenshot(page, "sign-zh-CN")
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(shot)))
    assert decoded == target
    assert translations("zh-CN").gettext("Cameras in use") in page.inner_text("h1")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one A4 sheet
    check_accessibility(page)
    assert not errors, errors
    page.context.close()
