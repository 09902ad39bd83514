"""Journeys through the real service in a real browser, at a phone's and a desktop's viewport:
a visitor reads a notice in both languages; a person consents, sees it verified in their trace,
withdraws and sees the withdrawal, and a second person sees none of it; an operator signs in,
adds a purpose, checks an APK and answers a rights request; no link and a signed-out session
are refused. Each journey's last page is checked with axe-core and saved as a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.browser.harness import check_accessibility, open_page, screenshot
from tests.service.browser.live import Live
from tests.tiny_apk import write_tiny_apk
from veil.service.pages.i18n import translations

ZH = translations("zh-CN")


def _trace_states(page: Any) -> dict[str, list[str]]:
    """Action -> the ``data-verified`` states of its entries, once the browser has checked."""
    page.wait_for_selector("main[data-verify-done]")
    out: dict[str, list[str]] = {}
    for el in page.locator("[data-trace-entry]").all():
        out.setdefault(str(el.get_attribute("data-action")), []).append(
            str(el.get_attribute("data-verified"))
        )
    return out


def test_a_visitor_reads_the_notice_in_both_languages(
    live: Live, browser: Any, viewport: str
) -> None:
    page, errors = open_page(browser, viewport, locale="zh-CN", timezone="Asia/Shanghai")
    page.goto(live.notice_url)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert ZH.gettext("Who and why") in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Who and why" in page.inner_text("main")
    assert "Riverside Garden" in page.inner_text("main")
    check_accessibility(page)
    screenshot(page, f"journey-notice-{viewport}")
    assert not errors, errors
    page.context.close()


def test_a_person_consents_sees_it_verified_and_withdraws(
    live: Live, browser: Any, viewport: str
) -> None:
    page, errors = open_page(browser, viewport)
    page.goto(live.link(0))
    assert page.url == live.base_url + "/me"  # the secret left the address bar
    form = page.locator("form.consent-form").first
    form.get_by_role("checkbox").check()
    with page.expect_navigation():
        form.get_by_role("button", name="Give this consent").click()
    assert page.locator("[data-receipt-state]").get_attribute("data-receipt-state") == "given"
    record = page.url.rsplit("/", 1)[-1]
    live.cosign()
    page.goto(live.base_url + "/me/trace")
    states = _trace_states(page)
    assert states["consent_granted"] and {s for group in states.values() for s in group} == {"true"}
    page.goto(live.base_url + "/me")
    with page.expect_navigation():
        page.locator(f'[data-consent="{record}"]').get_by_role(
            "button", name="Withdraw this consent now"
        ).click()
    assert page.locator("[data-receipt-state]").get_attribute("data-receipt-state") == "withdrawn"
    live.cosign()
    page.goto(live.base_url + "/me/trace")
    states = _trace_states(page)
    assert states["consent_withdrawn"] and {s for group in states.values() for s in group} == {
        "true"
    }
    assert page.locator("[data-checkpoint-badge]").get_attribute("data-state") == "verified"
    check_accessibility(page)
    screenshot(page, f"journey-person-trace-{viewport}")
    assert not errors, errors
    other, _ = open_page(browser, viewport)
    other.goto(live.link(1))
    assert record not in other.content()
    other.goto(live.base_url + f"/me/receipts/{record}")
    assert ZH.gettext("Not possible") not in other.inner_text("main")
    assert "Not possible" in other.inner_text("main")
    other.goto(live.base_url + "/me")
    assert record not in other.content() and other.locator("[data-consent]").count() >= 1
    with other.expect_navigation():
        other.get_by_role("link", name="简体中文").click()
    assert ZH.gettext("Your consents") in other.inner_text("main")
    check_accessibility(other)
    screenshot(other, f"journey-second-person-zh-{viewport}")
    page.context.close()
    other.context.close()


def test_an_operator_adds_a_purpose_checks_an_apk_and_answers_a_request(
    live: Live, browser: Any, viewport: str, tmp_path: Path
) -> None:
    person, _ = open_page(browser, viewport)
    person.goto(live.link(0))
    person.get_by_label("What you ask for").select_option("copy")
    with person.expect_navigation():
        person.get_by_role("button", name="Send the request").click()
    person.context.close()
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "operator")
    assert page.url == live.base_url + "/console"
    assert (
        page.locator("svg.chart").count() == 4
    )  # by action and faces by camera, each over time too
    check_accessibility(page)
    screenshot(page, f"journey-operator-dashboard-{viewport}")
    with page.expect_navigation():
        page.get_by_role("link", name="Purposes").click()
    page.get_by_label("Name (lower case, digits, - _ .)").fill("parcel-pickup")
    page.get_by_label("Description").fill("hand out parcels to residents")
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()
    assert page.locator('[data-purpose="parcel-pickup"]').count() == 1
    with page.expect_navigation():
        page.get_by_role("link", name="Rights requests").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Start working on it").first.click()
    page.get_by_label("Answer to the person (a refusal needs its reason)").first.fill("sent")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as done").first.click()
    assert page.locator("[data-rights]").count() == 0
    with page.expect_navigation():
        page.get_by_role("link", name="Compliance checks").click()
    check_accessibility(page)
    apk = write_tiny_apk(tmp_path / "shop.apk", ["android.permission.CAMERA"])
    page.get_by_label("What it is").select_option("apk")
    page.get_by_label("App type, for an APK (see veil check types)").fill("28")
    page.get_by_label("File").set_input_files(str(apk))
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    assert "shop.apk" in page.content() and page.locator("li.finding").count() > 0
    check_accessibility(page)
    screenshot(page, f"journey-operator-report-{viewport}")
    with page.expect_download() as got:
        page.locator('[data-download="html"]').click()
    raw = Path(got.value.path()).read_text(encoding="utf-8")
    assert raw.startswith("<!DOCTYPE html>") and "veil check apk" in raw  # the CLI's report
    assert not errors, errors
    page.context.close()


def test_no_link_and_a_signed_out_session_are_refused(
    live: Live, browser: Any, viewport: str
) -> None:
    page, _ = open_page(browser, viewport)
    answer = page.goto(live.base_url + "/me")
    assert answer is not None and answer.status == 401
    assert "personal link" in page.inner_text("main")
    live.sign_in(page, "operator")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.url == live.base_url + "/console/login"
    answer = page.goto(live.base_url + "/console")
    assert answer is not None and answer.status == 401
    check_accessibility(page)
    screenshot(page, f"journey-signed-out-{viewport}")
    page.context.close()


def test_an_auditor_sees_a_finding_after_an_identify_without_consent(
    live: Live, browser: Any, viewport: str
) -> None:
    from tests.ledger.ledger_helpers import make_event

    ledger = live.app.state.veil.ledger()
    index = ledger.append(make_event(0, subject=ledger.pseudonym("stranger"), action="identify"))
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "auditor")
    assert page.url == live.base_url + "/audit-ui"
    finding = page.locator('[data-finding="identify-without-consent"]')
    assert f"#{index}" in finding.inner_text()
    assert page.locator("[data-checkpoint]").count() >= 1
    page.wait_for_selector("main[data-consistency-done]")
    pairs = page.locator("[data-consistency]")
    assert pairs.count() >= 1
    assert {p.get_attribute("data-verified") for p in pairs.all()} == {"true"}
    check_accessibility(page)
    screenshot(page, f"journey-auditor-{viewport}")
    assert not errors, errors
    page.context.close()


def test_a_rewritten_checkpoint_is_not_proved_consistent(live: Live, browser: Any) -> None:
    """The same auditor page with one proof hash changed in transit shows "not verified"."""
    page, _ = open_page(browser, "phone")
    live.sign_in(page, "auditor")

    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.text()
        start = body.index('data-proof="') + len('data-proof="')
        flipped = "B" if body[start] == "A" else "A"
        route.fulfill(response=response, body=body[:start] + flipped + body[start + 1 :])

    page.route(live.base_url + "/audit-ui", tamper)
    page.goto(live.base_url + "/audit-ui")
    page.wait_for_selector("main[data-consistency-done]")
    first = page.locator("[data-consistency]").first
    assert first.get_attribute("data-verified") == "false"
    assert "Not verified" in first.inner_text()
    screenshot(page, "journey-auditor-tampered-phone")
    page.context.close()
