"""Why the browser did not verify something, in the page's language.

The page scripts (``static/*.js``) explain a failed check in English: the messages they pass to
``fail(...)``, ``new VerifyError(...)`` or ``localized(...)``, and the names of what they decode
(``b64decode(text, "what")``). Those strings are the catalog messages, read from the scripts
themselves (a ``${...}`` part of a template literal becomes ``{}``), so a new reason in a script
is a new catalog message at once. A page that verifies prints their translations as JSON in
``data-reasons``; ``localized()`` in ``note.js`` looks a reason up there (filling each ``{}``
with the part it stands for, translated too when it is a name of the table)."""

from __future__ import annotations

import json
import re
from functools import cache

from veil.service.pages.env import STATIC_DIR
from veil.service.pages.i18n import Language, translations

_CALL = re.compile(r"""\b(?:fail|VerifyError|localized)\(\s*(["`])((?:\\.|(?!\1).)*)\1""")
_WHAT = re.compile(r"""\bb64decode\((?:[^,()]|\([^()]*\))+,\s*"([^"]+)"\)""")
_SLOT = re.compile(r"\$\{[^}]*\}")


@cache
def script_reasons() -> tuple[str, ...]:
    """Every reason the page scripts can show, ``{}`` for each part filled in at run time."""
    found: dict[str, None] = {}
    for script in sorted(STATIC_DIR.glob("*.js")):
        text = script.read_text(encoding="utf-8")
        for match in _CALL.finditer(text):
            found[_SLOT.sub("{}", match.group(2))] = None
        for match in _WHAT.finditer(text):
            found[match.group(1)] = None
    return tuple(found)


@cache
def reasons_json(lang: Language) -> str:
    """The translated reasons of ``lang`` as JSON (English message -> text); ``{}`` for
    English, whose pages show the scripts' own words."""
    if lang == "en":
        return "{}"
    tr = translations(lang)
    table = {r: tr.gettext(r) for r in script_reasons() if tr.gettext(r) != r}
    return json.dumps(table, ensure_ascii=False, sort_keys=True)
