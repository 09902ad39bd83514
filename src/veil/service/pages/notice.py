"""The public deployment notice page and its printable A4 sign with a QR code."""

from __future__ import annotations

from datetime import UTC, datetime

import segno
from markupsafe import escape

from veil.service.notices import DeploymentNotice
from veil.service.pages import labels
from veil.service.pages.env import render
from veil.service.pages.i18n import Language, translations
from veil.service.pages.labels import N_

N_("QR code")


def _context(notice: DeploymentNotice) -> dict[str, object]:
    return {
        "notice": notice,
        "labels": labels,
        "label": labels.label,
    }


def render_notice(
    notice: DeploymentNotice,
    lang: Language,
    *,
    static_url: str = "/static",
    sign_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """The public notice of one deployment as an HTML page in ``lang``; ``sign_url`` links the
    printable sign, ``now`` is the "as of" time (defaults to now, UTC)."""
    return render(
        "notice.html",
        lang,
        static_url,
        sign_url=sign_url,
        now=now or datetime.now(UTC),
        **_context(notice),
    )


def qr_svg(url: str, label: str = "QR code") -> str:
    """An inline SVG QR code (error correction M) for ``url``, labelled for screen readers; no
    script, no style attribute."""
    qr = segno.make(url, error="m", micro=False)
    svg: str = qr.svg_inline(scale=8, border=4, svgclass="qr", lineclass=None, omitsize=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}: {escape(url)}" ', 1)


def sign_a4(
    notice: DeploymentNotice, url: str, lang: Language, *, static_url: str = "/static"
) -> str:
    """A printable A4 sign for the site: the essentials and a QR code that opens ``url``."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("the notice URL must be an absolute http(s) URL")
    qr = qr_svg(url, translations(lang).gettext("QR code"))
    return render("sign.html", lang, static_url, url=url, qr=qr, **_context(notice))
