"""What the ledger refuses in an event's free text: raw personal identifiers, however written.

Checked (see docs/ledger.md): e-mail addresses (``bob@example.com``, fullwidth ``＠``, and the
obfuscated forms ``bob at example dot com``, ``bob [at] example [dot] com``, ``bob(at)example.com``);
mainland mobile numbers with or without separators and the +86 prefix (``138-1234-5678``,
``138 1234 5678``, ``+86 138 1234 5678``); landlines with an area code (``(010) 1234-5678``,
``010-12345678``); international numbers with a ``+`` and separators (``+1 (415) 555-2671``,
``+44 20 7946 0958``) and North American ``415-555-2671``; resident ID-card numbers (18 digits, the
last may be X, with or without spaces); and any run of 11 or more digits. Ordinary text (dates
such as 2026-12-02, times, counts, versions, model numbers such as RTX-4090) passes.
"""

from __future__ import annotations

import re

_SEP = r"[\s\-.]?"
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("e-mail address", re.compile(r"[^\s@＠]+[@＠][^\s@＠]+\.[^\W\d_]{2,}")),
    # obfuscated: "at" spelled out, and the dot spelled out (or a real dot after a bracketed at)
    (
        "e-mail address",
        re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE),
    ),
    (
        "e-mail address",
        re.compile(r"[\w.+-]+\s*[\[({<]\s*at\s*[\])}>]\s*[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    ),
    (
        "ID-card number",
        re.compile(r"(?<![\dA-Za-z])\d{6}[\s-]?\d{8}[\s-]?\d{3}[\dXx](?![\dA-Za-z])"),
    ),
    (
        "phone number",
        re.compile(rf"(?<![\d+])(?:(?:\+|00)86[\s\-.]*)?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)"),
    ),
    (
        "phone number",
        re.compile(r"(?<!\d)(?:\(0\d{2,3}\)\s*|0\d{2,3}[\s\-.])\d{3,4}[\s\-.]?\d{4}(?!\d)"),
    ),
    ("phone number", re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s\-.()]*\d){6,14}(?!\d)")),
    ("phone number", re.compile(r"(?<!\d)\(?\d{3}\)?[\s\-.]\d{3}[\s\-.]\d{4}(?!\d)")),
    ("long number", re.compile(r"\d{11,}")),
)


CLEAN_CACHE_SIZE = 4096
_clean: dict[str, None] = {}  # texts that passed (controllers, systems, purposes repeat a lot)


def raw_identifier_kind(text: str) -> str | None:
    """The kind of raw identifier ``text`` seems to hold (``"phone number"``...), or ``None``.

    Texts that pass are remembered (at most :data:`CLEAN_CACHE_SIZE`, then forgotten together),
    so a batch of events naming the same controller and purpose checks each text once; a text
    that fails is never kept.
    """
    if text in _clean:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    if len(_clean) >= CLEAN_CACHE_SIZE:
        _clean.clear()
    _clean[text] = None
    return None
