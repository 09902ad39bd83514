"""An operator reading Chinese checks an APK in the console: the report page reads in Chinese
from the context line to the disclaimer (no text left marked English), passes axe, and is saved
as a screenshot on a phone and on a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.browser.harness import check_accessibility, open_page, screenshot
from tests.service.browser.live import Live
from tests.tiny_apk import write_tiny_apk


def test_an_apk_report_reads_in_chinese(
    live: Live, browser: Any, viewport: str, tmp_path: Path
) -> None:
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "operator")
    page.goto(live.base_url + "/console/checks?lang=zh-CN")
    permissions = ["android.permission.CAMERA", "android.permission.READ_CONTACTS"]
    apk = write_tiny_apk(tmp_path / "shop.apk", permissions)
    page.locator("select[name=kind]").select_option("apk")
    page.locator("input[name=app_type]").fill("28")
    page.locator("input[name=file]").set_input_files(str(apk))
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    main = page.locator("main")
    assert page.locator("li.finding").count() > 0
    assert main.locator('[lang="en"]').count() == 0, main.locator('[lang="en"]').all_inner_texts()
    text = main.inner_text()
    assert "基本功能" in text and "通讯录" in text and "不构成法律意见" in text, text
    check_accessibility(page)
    screenshot(page, f"journey-operator-report-zh-{viewport}")
    assert not errors, errors
    page.context.close()
