"""Server-rendered pages of the Veil service (Jinja2, English and zh-CN), and their assets.

Routers call these render functions and serve :data:`STATIC_DIR` at the ``static_url`` they pass
(default ``/static``). Pages carry no inline script or style, so a strict CSP
(``script-src 'self'; style-src 'self'``) holds.
"""

from veil.service.pages.env import STATIC_DIR, TEMPLATES_DIR
from veil.service.pages.i18n import LANGUAGES, Language, choose_language
from veil.service.pages.notice import qr_svg, render_notice, sign_a4
from veil.service.pages.trace import render_trace

__all__ = [
    "LANGUAGES",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "Language",
    "choose_language",
    "qr_svg",
    "render_notice",
    "render_trace",
    "sign_a4",
]
