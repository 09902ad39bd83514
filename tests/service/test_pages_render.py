"""Rendered pages: escaped, no inline script or style, nothing from another origin, every fact of
the notice shown; the sign's QR code and the trace page's keys are checked before rendering."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from veil.ledger.note import NoteError, Signer
from veil.ledger.person_trace import PersonTrace, TraceEntry
from veil.service.notices import DeploymentNotice, deployment_notice
from veil.service.pages import STATIC_DIR, render_notice, render_trace, sign_a4

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
VKEY = Signer.generate("veil.test/log").verifier().vkey


class _Audit(HTMLParser):
    """Collects what a strict CSP would refuse and the assets a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.assets: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline <script>")
            self.assets.append(str(names.get("src")))
            self._in_script = True
        if tag == "link" and names.get("href"):
            self.assets.append(str(names["href"]))
        if tag == "img" and names.get("src"):
            self.assets.append(str(names["src"]))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script body")


def _audit(html: str) -> _Audit:
    audit = _Audit()
    audit.feed(html)
    assert not audit.problems, audit.problems
    for asset in audit.assets:  # every asset is ours, and exists
        assert asset.startswith("/static/"), asset
        assert (STATIC_DIR / asset.removeprefix("/static/")).is_file(), asset
    return audit


@pytest.fixture
def notice() -> DeploymentNotice:
    return deployment_notice(EXAMPLES / "deployment-residential-gate.yaml", operator="<b>Acme</b>")


def test_the_notice_page_shows_every_fact_escaped_and_without_inline_code(
    notice: DeploymentNotice,
) -> None:
    html = render_notice(notice, "en", sign_url="/sign")
    _audit(html)
    assert "&lt;b&gt;Acme&lt;/b&gt;" in html and "<b>Acme" not in html
    for text in (
        notice.site,
        notice.purpose,
        "Kept at most 30 days.",
        "Faces are redacted at capture.",
        "resident card",
        "intercom to the guard",
        "The checks found no problem.",
        "No checkpoint of the log has been cosigned by a witness yet.",
        "On the camera or gate itself",
        'href="/sign"',
    ):
        assert text in html, text


def test_a_recognition_text_from_the_deployment_file_is_escaped_in_both_languages(
    notice: DeploymentNotice,
) -> None:
    rec = notice.recognition.model_copy(update={"for_whom": "<script>x()</script>"})
    evil = notice.model_copy(update={"recognition": rec, "non_consenting": "<i>kept</i>"})
    for lang in ("en", "zh-CN"):
        html = render_notice(evil, lang)  # type: ignore[arg-type]
        assert "<script>x()" not in html and "&lt;script&gt;x()" in html
        _audit(html)


def test_the_sign_needs_an_absolute_url_and_carries_an_svg_qr_code(
    notice: DeploymentNotice,
) -> None:
    with pytest.raises(ValueError, match="absolute"):
        sign_a4(notice, "javascript:alert(1)", "en")
    html = sign_a4(notice, "https://veil.example/n/1?a=1&b=2", "zh-CN")
    _audit(html)
    assert '<svg role="img"' in html and "https://veil.example/n/1?a=1&amp;b=2" in html


def _trace() -> PersonTrace:
    entry = TraceEntry(index=0, event={"action": "use", "subject": "ab"}, tlog_proof="x")
    return PersonTrace(subject="ab" * 32, checkpoint=None, entries=(), pending=(entry,))


def test_the_trace_page_refuses_malformed_keys_and_lists_pending_entries() -> None:
    with pytest.raises(NoteError):
        render_trace(_trace(), "en", "not-a-key", [])
    with pytest.raises(NoteError):
        render_trace(_trace(), "en", VKEY, ["w1+00000000+AAAA"])
    pending = TraceEntry(
        index=4,
        event={"action": "identify", "time": "2026-03-01T01:30:00.000Z", "subject": "ab"},
        tlog_proof=None,
    )
    trace = PersonTrace(subject="ab" * 32, checkpoint=None, entries=(), pending=(pending,))
    html = render_trace(trace, "en", VKEY, [], static_url="/assets/")
    assert "Not yet in a cosigned checkpoint" in html and "#4" in html
    assert 'datetime="2026-03-01T01:30:00Z"' in html
    assert 'src="/assets/trace.js"' in html and "data-trace-entry" not in html
