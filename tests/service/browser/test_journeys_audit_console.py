"""Journeys through the pages issue 14 left: an auditor checks the consistency of two
checkpoints they pick (the browser fetches and verifies; a proof changed in transit is not
verified) and runs a verify job with a progress bar (with script, and without: the page
refreshes itself); an operator registers a camera served by ``veil stream --serve``, enrolls a
photo, reads the ledger and its witnesses, and reads a library error in Chinese. Each journey's
last page is checked with axe-core and saved as a screenshot at both viewports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.consent.conftest import BoxDetector, ColourEmbedder
from tests.ledger.ledger_helpers import make_event
from tests.service.browser.harness import VIEWPORTS, check_accessibility, open_page, screenshot
from tests.service.browser.live import Live
from veil.consent.records import ConsentState
from veil.service import enrollment
from veil.service.pages.i18n import translations
from veil.service.pages.reasons import script_reasons
from veil.service.people import open_registry
from veil.stream.http import Endpoint, StreamServer
from veil.stream.metrics import CameraMetrics

ZH = translations("zh-CN")


def _three_checkpoints(live: Live) -> None:
    ledger = live.app.state.veil.ledger()
    for i in range(3):
        live.cosign()
        ledger.append(make_event(100 + i, action="collect"))
    live.cosign()


def _pick(page: Any, live: Live) -> None:
    """Pick the oldest and the newest checkpoint on the audit page and compare them."""
    page.goto(live.base_url + "/audit-ui")
    old = page.get_by_label("First checkpoint")
    new = page.get_by_label("Second checkpoint")
    options = old.locator("option")
    assert options.count() >= 3
    old.select_option(str(options.last.get_attribute("value")))
    new.select_option(str(options.first.get_attribute("value")))
    with page.expect_navigation():
        page.get_by_role("button", name="Check their consistency").click()
    page.wait_for_selector("main[data-consistency-done]")


def test_an_auditor_checks_two_checkpoints_of_their_choice(
    live: Live, browser: Any, viewport: str
) -> None:
    _three_checkpoints(live)
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "auditor")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/api/v1/audit/" in r.url else None)
    _pick(page, live)
    pair = page.locator("[data-consistency]")
    assert pair.get_attribute("data-verified") == "true"
    assert "verified by your browser" in pair.inner_text()
    assert any("/api/v1/audit/consistency?old=" in u for u in fetched)  # fetched, not embedded
    check_accessibility(page)
    screenshot(page, f"journey-auditor-consistency-{viewport}")
    assert not errors, errors
    page.context.close()


def test_a_consistency_proof_changed_in_transit_is_not_verified(live: Live, browser: Any) -> None:
    _three_checkpoints(live)
    page, _ = open_page(browser, "phone")
    live.sign_in(page, "auditor")

    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        first = body["proof"][0]
        body["proof"][0] = ("B" if first[0] == "A" else "A") + first[1:]
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/audit/consistency*", tamper)
    _pick(page, live)
    pair = page.locator("[data-consistency]")
    assert pair.get_attribute("data-verified") == "false"
    assert "Not verified" in pair.inner_text()
    screenshot(page, "journey-auditor-consistency-tampered-phone")
    page.context.close()


def test_an_auditor_runs_a_verify_job_and_watches_its_progress(
    live: Live, browser: Any, viewport: str
) -> None:
    live.cosign()
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "auditor")
    with page.expect_navigation():
        page.get_by_role("button", name="Verify the whole log now").click()
    assert "/audit-ui/verify/" in page.url
    page.wait_for_selector('main[data-job-state="done"]', timeout=30_000)
    bar = page.locator("progress[data-progress]")
    size = live.app.state.veil.ledger().head().size
    assert bar.get_attribute("max") == str(size) and bar.get_attribute("value") == str(size)
    assert page.locator('[data-job-status] [data-state="verified"]').count() == 1
    assert page.locator("[data-result-problems]").inner_text() == "0"
    check_accessibility(page)
    screenshot(page, f"journey-auditor-verify-{viewport}")
    assert not errors, errors
    page.context.close()


def test_the_verify_page_works_without_script(live: Live, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=False)
    page = context.new_page()
    live.sign_in(page, "auditor")
    with page.expect_navigation():
        page.get_by_role("button", name="Verify the whole log now").click()
    # the job may still run: the page's own refresh brings the result
    page.wait_for_selector('main[data-job-state="done"]', timeout=30_000)
    assert page.locator('[data-job-status] [data-state="verified"]').count() == 1
    context.close()


@pytest.fixture
def camera() -> Iterator[StreamServer]:
    """A ``veil stream --serve`` endpoint whose camera ``gate`` streams."""
    metrics = CameraMetrics("gate")
    metrics.up, metrics.state = True, "streaming"
    for name, n in (("frames_in", 900), ("frames_out", 897), ("faces_redacted", 214)):
        metrics.add(name, n)
    metrics.add("frames_blanked_late", 3)
    server = StreamServer(("127.0.0.1", 0), lambda: [Endpoint(metrics)])
    server.start()
    try:
        yield server
    finally:
        server.close()


def _photo(tmp: Any) -> str:
    path = tmp / "face.png"
    Image.fromarray(np.full((160, 160, 3), 128, np.uint8)).save(path)
    return str(path)


def test_an_operator_registers_a_camera_enrolls_a_photo_and_reads_the_ledger(
    live: Live,
    browser: Any,
    viewport: str,
    camera: StreamServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        enrollment, "models", lambda: (BoxDetector([[10, 10, 110, 110]]), ColourEmbedder())
    )
    subject = live.world.seed.subjects[0]
    with open_registry(live.app.state.veil) as registry:
        purpose = registry.records(subject=subject, state=ConsentState.GIVEN)[0].purposes[0]
    live.cosign()
    page, errors = open_page(browser, viewport)
    live.sign_in(page, "operator")
    assert (
        page.locator("svg.chart").count() == 4
    )  # by action and faces by camera, each over time too
    with page.expect_navigation():
        page.get_by_role("link", name="Cameras").click()
    page.get_by_label("Camera name (letters, digits, - _ .)").fill("front-gate")
    page.get_by_label("Health URL of its veil stream --serve endpoint").fill(camera.url + "/health")
    page.get_by_label("Its name in that endpoint, if different").fill("gate")
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    row = page.locator('[data-camera="front-gate"]')
    assert row.get_attribute("data-up") == "true"
    assert row.locator("[data-faces-redacted]").inner_text() == "214"
    assert row.locator("[data-frames-blanked]").inner_text() == "3"
    assert "Streaming" in row.inner_text()
    check_accessibility(page)
    screenshot(page, f"journey-operator-cameras-{viewport}")
    with page.expect_navigation():
        page.get_by_role("link", name="Enrollment").click()
    page.get_by_label("The person's id").fill(subject)
    page.get_by_label("Purpose").select_option(purpose)
    page.get_by_label("Photo (JPEG, PNG or WebP)").set_input_files(_photo(tmp_path))
    with page.expect_navigation():
        page.get_by_role("button", name="Enroll").click()
    assert page.locator("[data-enrolled]").get_attribute("data-templates") == "1"
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Ledger").click()
    newest = page.locator("tr[data-checkpoint]").first
    assert newest.get_attribute("data-cosigners") == "1"
    assert page.locator("[data-witness-policy]").get_attribute("data-witness-policy") == "1-of-1"
    check_accessibility(page)
    screenshot(page, f"journey-operator-ledger-{viewport}")
    # a library error on a Chinese page is Chinese
    with page.expect_navigation():
        page.get_by_role("link", name="简体中文").click()
    with page.expect_navigation():
        page.get_by_role("link", name=ZH.gettext("Purposes")).click()
    page.get_by_label(ZH.gettext("Name (lower case, digits, - _ .)")).fill(purpose)
    with page.expect_navigation():
        page.get_by_role("button", name=ZH.gettext("Declare")).click()
    answer = page.locator("[data-error-detail]")
    assert answer.inner_text() == ZH.gettext("The purpose %(name)s is already declared.") % {
        "name": repr(purpose)
    }
    assert answer.get_attribute("lang") is None
    check_accessibility(page)
    screenshot(page, f"journey-operator-error-zh-{viewport}")
    assert not [e for e in errors if "400" not in e], errors  # the error page's own status
    page.context.close()


def test_why_two_checkpoints_are_not_consistent_reads_chinese(live: Live, browser: Any) -> None:
    _three_checkpoints(live)
    ids = [cp.id for cp in live.app.state.veil.ledger().checkpoints()]
    page, _ = open_page(browser, "phone", locale="zh-CN")
    live.sign_in(page, "auditor")

    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        first = body["proof"][0]
        body["proof"][0] = ("B" if first[0] == "A" else "A") + first[1:]
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/audit/consistency*", tamper)
    page.goto(f"{live.base_url}/audit-ui/consistency?old={ids[0]}&new={ids[-1]}&lang=zh-CN")
    page.wait_for_selector("main[data-consistency-done]")
    pair = page.locator("[data-consistency]")
    assert pair.get_attribute("data-verified") == "false"
    why = pair.locator(".why").inner_text()
    assert why in {ZH.gettext(r) for r in script_reasons()} and not re.search("[A-Za-z]", why)
    assert ZH.gettext("Not verified: these checkpoints are not proved consistent") in (
        pair.inner_text()
    )
    page.context.close()
