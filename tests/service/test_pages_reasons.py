"""The reasons the page scripts give for a failed check are catalog messages read from the
scripts themselves, translated with the same parts, and printed on the pages that verify."""

from __future__ import annotations

import html
import json
import re

from veil.ledger.note import Signer
from veil.ledger.person_trace import PersonTrace
from veil.service.pages import render_trace
from veil.service.pages.env import STATIC_DIR
from veil.service.pages.i18n import translations
from veil.service.pages.reasons import reasons_json, script_reasons


def test_every_reason_of_every_script_is_found() -> None:
    reasons = script_reasons()
    for script in STATIC_DIR.glob("*.js"):  # each fail("...") of a script, literally
        for literal in re.findall(r'\bfail\("([^"]+)"\)', script.read_text("utf-8")):
            assert literal in reasons, (script.name, literal)
    assert "witness {} did not cosign the checkpoint" in reasons  # a template literal
    assert "proof hash" in reasons and "verifier key" in reasons  # what b64decode names
    assert "this browser could not check it" in reasons
    assert len(reasons) >= 50


def test_reasons_are_translated_with_the_same_parts() -> None:
    zh = translations("zh-CN")
    table = json.loads(reasons_json("zh-CN"))
    assert set(table) == set(script_reasons())
    for english, text in table.items():
        assert text == zh.gettext(english) and text != english
        assert text.count("{}") == english.count("{}"), english
    assert reasons_json("en") == "{}"  # English pages show the scripts' own words


def test_the_trace_page_carries_the_table_in_its_language() -> None:
    vkey = Signer.generate("veil.test/log").verifier().vkey
    trace = PersonTrace(subject="ab" * 32, checkpoint=None, entries=(), pending=())
    for lang, want in (("zh-CN", json.loads(reasons_json("zh-CN"))), ("en", {})):
        page = render_trace(trace, lang, vkey, [])
        found = re.search(r'<main [^>]*data-reasons="([^"]*)"', page)
        assert found is not None
        assert json.loads(html.unescape(found.group(1))) == want
