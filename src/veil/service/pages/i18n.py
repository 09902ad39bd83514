"""Languages of the pages: choosing one, and the gettext catalogs that translate them.

Catalogs are the ``.po`` files under ``veil/service/translations/<locale>/LC_MESSAGES/``, kept
in git and compiled in memory with Babel the first time a language is used, so a fresh install
needs no build step.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
DEFAULT_LANGUAGE: Language = "en"
DOMAIN = "veil"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
_LOCALES: dict[Language, str] = {"en": "en", "zh-CN": "zh_CN"}


class Shown(NamedTuple):
    """A text as a page shows it, and the language it is in (``lang`` of its element)."""

    text: str
    lang: Language


def _match(tag: str) -> Language | None:
    """The supported language a BCP 47 tag asks for (any Chinese is zh-CN), or ``None``."""
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def choose_language(accept_language: str | None, override: str | None = None) -> Language:
    """The page language: a supported ``override`` (the language switch) wins, then the best
    supported language of the ``Accept-Language`` header by quality, then English."""
    if override:
        chosen = _match(override)
        if chosen is not None:
            return chosen
    best: tuple[float, int, Language] | None = None
    for pos, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.partition(";")
        lang = _match(tag)
        if lang is None:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if best is None or (q, -pos) > (best[0], best[1]):
            best = (q, -pos, lang)
    return best[2] if best is not None else DEFAULT_LANGUAGE


def po_path(lang: Language) -> Path:
    """The ``.po`` catalog of ``lang``."""
    return TRANSLATIONS_DIR / _LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: Language) -> gettext.GNUTranslations:
    """The compiled catalog of ``lang`` (fuzzy entries are left out)."""
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=_LOCALES[lang], domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)
