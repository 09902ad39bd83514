"""Every message the pages use, extracted from the templates and the label tables with Babel
(as babel.cfg says), the title and reading of every check of Veil's rule data and the check
reports' disclaimer (the pages show findings with them), and the reasons the page scripts give
for a failed check (:mod:`veil.service.pages.reasons`): the catalogs must translate each one."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

MessageId = str | tuple[str, str]
_METHODS = [("**/pages/*.py", "python"), ("**/templates/*.html", "jinja2")]
_OPTIONS = {"**/templates/*.html": {"extensions": "jinja2.ext.i18n"}}
_KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}


def extracted() -> dict[MessageId, set[str]]:
    """Message id (a tuple for plural messages) -> its flags (``python-format`` where needed)."""
    service = Path(__file__).resolve().parent.parent
    out: dict[MessageId, set[str]] = {}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(service), _METHODS, _OPTIONS, _KEYWORDS, comment_tags=()
    ):
        if not message:
            continue
        msgid: MessageId = message if isinstance(message, str) else (message[0], message[1])
        flags = (
            {"python-format"} if "%(" in (msgid if isinstance(msgid, str) else msgid[0]) else set()
        )
        out.setdefault(msgid, set()).update(flags)
    from veil.rules.report import DISCLAIMER
    from veil.rules.ruledata import rule_data
    from veil.service.pages.reasons import script_reasons

    for check in rule_data().checks.values():
        out.setdefault(check.title, set())
        if check.reading:
            out.setdefault(check.reading, set())
    out.setdefault(DISCLAIMER, set())
    for reason in script_reasons():
        out.setdefault(reason, set())
    return out
