"""Refresh the page catalogs after editing templates: extract every message (babel.cfg), keep the
zh-CN translations already made, drop messages no longer used, and list the untranslated ones.

    PYTHONPATH=src .venv/bin/python scripts/update_catalogs.py

The English catalog maps each message to itself; translate new zh-CN messages in
src/veil/service/translations/zh_CN/LC_MESSAGES/veil.po (tests/service/test_pages_i18n.py fails
while one is missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from veil.service.pages.i18n import LANGUAGES, po_path  # noqa: E402
from veil.service.pages.messages import extracted  # noqa: E402


def main() -> int:
    messages = extracted()
    missing = 0
    for lang in LANGUAGES:
        path = po_path(lang)
        with path.open("rb") as f:
            old = read_po(f)
        locale = path.parts[-3]  # translations/<locale>/LC_MESSAGES/veil.po
        new = Catalog(locale=locale, domain="veil", project="Veil", version="0.1", fuzzy=False)
        for msgid, flags in messages.items():
            if lang == "en":
                new.add(msgid, string=msgid, flags=flags)
                continue
            prev = old.get(msgid)
            string = prev.string if prev is not None else ("",) if isinstance(msgid, tuple) else ""
            if not all(string if isinstance(string, tuple) else (string,)):
                print(f"{lang}: untranslated: {msgid!r}")
                missing += 1
            new.add(msgid, string=string, flags=flags)
        with path.open("wb") as f:
            write_po(f, new, width=100, no_location=True, sort_output=True)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
