"""The person's trace page in a real browser: every badge is verified by the browser's own
WebCrypto checks against the keys on the page, and any changed byte shows "not verified"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.harness import PageServer, check_accessibility, open_page, screenshot
from tests.service.browser.trace_ledger import TraceFixture, make_trace
from veil.ledger.note import parse_vkey
from veil.ledger.person_trace import PersonTrace, TraceEntry
from veil.ledger.proofs import verify_bundle
from veil.service.pages import Language, render_trace
from veil.service.pages.i18n import translations


@pytest.fixture
def fixture(tmp_path: Path) -> TraceFixture:
    return make_trace(tmp_path)


def _open_trace(
    browser: Any,
    server: PageServer,
    fx: TraceFixture,
    trace: PersonTrace,
    viewport: str,
    lang: Language = "en",
    edit: tuple[str, str] | None = None,
) -> tuple[Any, list[str]]:
    html = render_trace(trace, lang, fx.log_vkey, fx.witness_vkeys, bundle_url="/bundle")
    if edit is not None:  # the server shows other text than it proves
        assert html.count(edit[0]) >= 1
        html = html.replace(edit[0], edit[1], 1)
    url = server.page("/trace", html)
    server.add("/bundle", lambda _r: ("application/json", trace.bundle().encode()))
    page, errors = open_page(browser, viewport, locale=lang, timezone="Asia/Shanghai")
    page.goto(url)
    page.wait_for_selector("main[data-verify-done]")
    return page, errors


def _states(page: Any) -> list[str]:
    return [
        str(el.get_attribute("data-verified")) for el in page.locator("[data-trace-entry]").all()
    ]


def test_every_entry_of_a_real_trace_is_verified_in_the_browser(
    browser: Any, server: PageServer, fixture: TraceFixture, viewport: str, tmp_path: Path
) -> None:
    trace = fixture.trace
    assert len(trace.entries) == 3 and trace.checkpoint is not None
    page, errors = _open_trace(browser, server, fixture, trace, viewport)
    assert _states(page) == ["true"] * 3
    verified = translations("en").gettext("Verified by your browser")
    assert page.locator("[data-badge]").all_inner_texts() == [verified] * 3
    assert page.locator("[data-checkpoint-badge]").get_attribute("data-state") == "verified"
    assert "looked at your records" in page.inner_text("main")  # the operator's read
    check_accessibility(page)
    screenshot(page, f"trace-en-{viewport}")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the proof bundle").click()
    saved = tmp_path / "bundle.json"
    dl.value.save_as(saved)
    keys = [parse_vkey(v) for v in fixture.witness_vkeys]
    result = verify_bundle(saved.read_bytes(), parse_vkey(fixture.log_vkey), keys)
    assert [p.index for p in result.entries] == [e.index for e in trace.entries]
    assert not errors, errors
    page.context.close()


def test_the_trace_page_in_chinese_verifies_too(
    browser: Any, server: PageServer, fixture: TraceFixture
) -> None:
    page, errors = _open_trace(browser, server, fixture, fixture.trace, "phone", "zh-CN")
    assert _states(page) == ["true"] * 3
    zh = translations("zh-CN").gettext
    assert page.locator("[data-badge]").all_inner_texts() == [zh("Verified by your browser")] * 3
    assert page.locator("h1").inner_text() == zh("Your trace")
    check_accessibility(page)
    screenshot(page, "trace-zh-CN-phone")
    assert not errors, errors
    page.context.close()


def _flip(text: str, at: int) -> str:
    """``text`` with the base64 character at ``at`` replaced by another one."""
    c = text[at]
    return text[:at] + ("B" if c != "B" else "C") + text[at + 1 :]


def _proof_line(proof: str, prefix: str | None, nth: int = 0) -> int:
    """The offset of the first character of a line of the proof's head (or of a note line)."""
    lines = proof.split("\n")
    pos = 0
    seen = 0
    for line in lines:
        if (prefix is None and line and not line.startswith(("c2sp", "extra", "index"))) or (
            prefix is not None and line.startswith(prefix)
        ):
            if seen == nth:
                return pos + (len(prefix) if prefix else 0)
            seen += 1
        pos += len(line) + 1
    raise AssertionError(f"no line {prefix!r} in the proof")


def _tamper_entry(trace: PersonTrace, n: int, how: str) -> PersonTrace:
    entry = trace.entries[n]
    proof = entry.tlog_proof or ""
    event = dict(entry.event)
    if how == "proof hash":
        proof = _flip(proof, _proof_line(proof, None) + 5)
    elif how == "entry bytes":
        proof = _flip(proof, _proof_line(proof, "extra ") + 40)
    elif how == "log signature in the proof's note":
        proof = _flip(proof, proof.rindex("\u2014 veil.test/log ") + 30)
    elif how == "root hash in the proof's note":
        sep = proof.index("\n\n") + 2
        third = proof.index("\n", proof.index("\n", sep) + 1) + 1
        proof = _flip(proof, third + 3)
    elif how == "event shown":
        event["purpose"] = "nothing to see here"
    changed = TraceEntry(index=entry.index, event=event, tlog_proof=proof)
    entries = (*trace.entries[:n], changed, *trace.entries[n + 1 :])
    return trace.model_copy(update={"entries": entries})


@pytest.mark.parametrize(
    "how",
    [
        "proof hash",
        "entry bytes",
        "log signature in the proof's note",
        "root hash in the proof's note",
        "event shown",
    ],
)
def test_one_changed_byte_of_an_entry_shows_not_verified(
    browser: Any, server: PageServer, fixture: TraceFixture, how: str
) -> None:
    trace = _tamper_entry(fixture.trace, 1, how)
    page, _ = _open_trace(browser, server, fixture, trace, "phone")
    assert _states(page) == ["true", "false", "true"]
    failed = translations("en").gettext("Not verified: do not trust this entry")
    badge = page.locator("[data-trace-entry]").nth(1).locator("[data-badge]")
    assert badge.get_attribute("data-state") == "failed"
    assert badge.inner_text().startswith(failed)
    if how == "proof hash":
        screenshot(page, "trace-tampered-phone")
    page.context.close()


@pytest.mark.parametrize("where", ["signature", "witness cosignature", "tree size"])
def test_a_changed_byte_of_the_checkpoint_note_shows_nothing_verified(
    browser: Any, server: PageServer, fixture: TraceFixture, where: str
) -> None:
    cp = fixture.trace.checkpoint
    assert cp is not None
    note = cp.note
    if where == "signature":
        note = _flip(note, note.index("\u2014 veil.test/log ") + 30)
    elif where == "witness cosignature":
        note = _flip(note, note.index("\u2014 w2.example ") + 30)
    else:
        lines = note.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        note = "\n".join(lines)
    trace = fixture.trace.model_copy(update={"checkpoint": cp.model_copy(update={"note": note})})
    page, _ = _open_trace(browser, server, fixture, trace, "phone")
    assert page.locator("[data-checkpoint-badge]").get_attribute("data-state") == "failed"
    assert _states(page) == ["false"] * 3
    page.context.close()


def test_a_witness_key_on_the_page_that_did_not_cosign_fails_the_page(
    browser: Any, server: PageServer, fixture: TraceFixture, tmp_path: Path
) -> None:
    from veil.ledger.witness import Witness

    stranger = Witness.create(tmp_path / "w9", "w9.example")
    fx = TraceFixture(fixture.trace, fixture.log_vkey, (*fixture.witness_vkeys, stranger.vkey))
    page, _ = _open_trace(browser, server, fx, fixture.trace, "phone")
    assert _states(page) == ["false"] * 3
    assert "w9.example did not cosign" in page.locator("[data-checkpoint-badge]").inner_text()
    page.context.close()


@pytest.mark.parametrize(
    "edit",
    [
        ('data-field="purpose">open the lobby gate', 'data-field="purpose">keep the lobby safe'),
        ('data-field="system">gate-1', 'data-field="system">gate-2'),
        (
            'data-field="data_categories">biometric.facial_template',
            'data-field="data_categories">image.scene',
        ),
        ('data-action="consent_granted"', 'data-action="consent_withdrawn"'),
        ('datetime="2026-03-01T01:30:00Z"', 'datetime="2026-03-01T02:30:00Z"'),
    ],
)
def test_text_shown_beside_a_valid_proof_but_not_proved_shows_not_verified(
    browser: Any, server: PageServer, fixture: TraceFixture, edit: tuple[str, str]
) -> None:
    page, _ = _open_trace(browser, server, fixture, fixture.trace, "phone", edit=edit)
    assert _states(page) == ["false", "true", "true"]
    page.context.close()


def test_why_an_entry_is_not_verified_reads_chinese_on_a_chinese_page(
    browser: Any, server: PageServer, fixture: TraceFixture, tmp_path: Path
) -> None:
    zh = translations("zh-CN").gettext
    trace = _tamper_entry(fixture.trace, 1, "proof hash")
    page, _ = _open_trace(browser, server, fixture, trace, "phone", "zh-CN")
    badge = page.locator("[data-trace-entry]").nth(1).locator("[data-badge]")
    assert badge.get_attribute("data-state") == "failed"
    assert badge.locator(".why").inner_text() == zh("the entry is not in the signed log")
    assert badge.inner_text().startswith(zh("Not verified: do not trust this entry"))
    check_accessibility(page)
    screenshot(page, "trace-tampered-zh-CN-phone")
    page.context.close()
    # a reason with a part filled in: the witness named in it, the rest Chinese
    from veil.ledger.witness import Witness

    stranger = Witness.create(tmp_path / "w9", "w9.example")
    fx = TraceFixture(fixture.trace, fixture.log_vkey, (*fixture.witness_vkeys, stranger.vkey))
    page, _ = _open_trace(browser, server, fx, fixture.trace, "phone", "zh-CN")
    why = page.locator("[data-checkpoint-badge] .why").inner_text()
    assert why == zh("witness {} did not cosign the checkpoint").replace("{}", "w9.example")
    page.context.close()
