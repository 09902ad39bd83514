"""Page languages: choosing one, and catalogs that translate every message the pages use."""

from __future__ import annotations

import pytest

from veil.service.pages import choose_language
from veil.service.pages.i18n import LANGUAGES, po_path, translations
from veil.service.pages.messages import extracted


@pytest.mark.parametrize(
    ("header", "override", "want"),
    [
        (None, None, "en"),
        ("", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", None, "en"),
        ("fr-FR, zh-TW;q=0.7, en;q=0.5", None, "zh-CN"),  # any Chinese gets the zh-CN pages
        ("fr, de;q=0.5", None, "en"),
        ("en;q=0.2, zh_CN;q=0.9", None, "zh-CN"),
        ("zh;q=0, en;q=0.1", None, "en"),  # q=0 means "not this one"
        ("zh;q=abc, en;q=0.1", None, "en"),
        ("en-GB", "zh-CN", "zh-CN"),  # the language switch wins
        ("zh-CN", "en", "en"),
        ("zh-CN", "klingon", "zh-CN"),  # an unknown switch value is ignored
    ],
)
def test_choose_language(header: str | None, override: str | None, want: str) -> None:
    assert choose_language(header, override) == want


def test_every_message_of_the_pages_is_translated_in_both_catalogs() -> None:
    messages = extracted()
    assert "Verified by your browser" in messages and len(messages) > 50
    for lang in LANGUAGES:
        catalog = translations(lang)
        for msgid in messages:
            if isinstance(msgid, tuple):
                got = [catalog.ngettext(msgid[0], msgid[1], n) for n in (1, 2)]
                fallback = list(msgid)
            else:
                got, fallback = [catalog.gettext(msgid)], [msgid]
            if lang == "en":
                assert got == fallback, msgid
            else:
                assert all(g != f for g, f in zip(got, fallback, strict=True)), (lang, msgid)
                for g, f in zip(got, fallback, strict=True):  # same placeholders
                    assert sorted(_placeholders(g)) == sorted(_placeholders(f)), (lang, msgid)


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(([a-z_]+)\)[sd]", text)


def test_catalogs_are_compiled_from_the_po_files_in_git() -> None:
    for lang in LANGUAGES:
        assert po_path(lang).is_file()
    assert translations("zh-CN").gettext("Your trace") == "我的记录"
    assert translations("zh-CN").ngettext("%(num)d witness cosigned it: %(names)s.", "x", 3) == (
        "%(num)d 个见证方已共同签署：%(names)s。"
    )
