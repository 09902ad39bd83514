"""The Jinja2 environment of the pages: autoescaped templates, one translated environment per
language, and the filters the templates share."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from veil.service.pages import findings, report_text
from veil.service.pages.errors import library_text
from veil.service.pages.i18n import LANGUAGES, Language, translations

SERVICE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = SERVICE_DIR / "templates"
STATIC_DIR = SERVICE_DIR / "static"


def iso_utc(value: datetime | str) -> str:
    """An ISO 8601 UTC timestamp (``...Z``) for a ``<time datetime>`` attribute."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(value: datetime | str) -> str:
    """The same instant as readable UTC text (what shows before the script localizes it)."""
    return iso_utc(value).replace("T", " ").replace("Z", " UTC")


@cache
def environment(lang: Language) -> Environment:
    """The template environment for ``lang`` (cached: environments are thread-safe to share)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["iso_utc"] = iso_utc
    env.filters["utc_text"] = utc_text
    # translate a runtime string (a code's label) without marking it safe, unlike _()
    catalog = translations(lang)
    env.filters["tr"] = lambda text: catalog.gettext(text) if text else text
    # findings in the page's language (pages/findings.py); each gives a text and its language
    env.filters["rule_text"] = lambda text: findings.rule_text(text, lang)
    env.filters["finding_message"] = lambda text: findings.finding_message(text, lang)
    env.filters["monitor_rule"] = lambda rule: findings.monitor_rule(rule, lang)
    env.filters["monitor_detail"] = lambda text: findings.monitor_detail(text, lang)
    env.filters["observation"] = lambda row: report_text.observation(row, lang)
    env.filters["context_line"] = lambda text: report_text.context_line(text, lang)
    env.filters["library_text"] = lambda text: library_text(text, lang)
    env.filters["citation"] = lambda c: findings.citation_label(
        c.instrument, c.article, c.label, lang
    )
    from veil.service.pages.reasons import reasons_json  # it reads STATIC_DIR of this module

    # why the browser did not verify something, for the pages that verify (data-reasons)
    env.globals["reasons"] = reasons_json(lang)
    return env


def render(template: str, lang: Language, static_url: str, **context: Any) -> str:
    """Render ``template`` in ``lang``; ``static_url`` is where :data:`STATIC_DIR` is served."""
    page: str = (
        environment(lang)
        .get_template(template)
        .render(lang=lang, static=static_url.rstrip("/"), **context)
    )
    return page
