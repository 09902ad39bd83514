"""Text that is safe to print to a terminal, and identifiers free of control characters.

User-provided text (subject ids, app names, file names, descriptions) can hold terminal escapes:
ESC/CSI/OSC sequences that retitle the window, move the cursor or hide text, BEL, DEL, C1 controls,
and bidirectional overrides that reorder what a reader sees. :func:`safe_text` shows each such
character as a visible escape (``\\x1b``, ``\\u202e``), so nothing reaches the terminal as a
control and nothing is lost; :func:`safe_markup` also escapes rich markup (``[bold]``) for text
printed through rich. :func:`safe_json` does the same for JSON output without changing its data.
:func:`refuse_controls` refuses such characters in identifiers when they are created.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from veil.errors import BadInputError, VeilError

# Unicode Cc (C0, DEL, C1), bidirectional marks/embeddings/overrides/isolates, line separators.
_RISKY = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_ONE_LINE = re.compile(f"[\x00-\x1f{_RISKY}]")
_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f{_RISKY}]")  # keeps \t and \n
# in JSON text these characters only occur inside strings, where \uXXXX means the same
_JSON = re.compile(f"[{_RISKY}]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_text(value: object, *, multiline: bool = False) -> str:
    """``str(value)`` with every control character shown as a visible escape.

    One-line text (the default) also escapes ``\\n``, ``\\r`` and ``\\t``, so a value cannot
    forge extra output lines; ``multiline`` keeps ``\\n`` and ``\\t``.
    """
    pattern = _MULTILINE if multiline else _ONE_LINE
    return pattern.sub(_escape, str(value))


def safe_markup(value: object, *, multiline: bool = False) -> str:
    """:func:`safe_text`, with rich markup escaped, for user text printed through rich."""
    from rich.markup import escape

    return escape(safe_text(value, multiline=multiline))


def safe_json(text: str) -> str:
    """JSON text with DEL, C1 and bidirectional controls written as ``\\uXXXX`` escapes.

    ``json.dumps`` already escapes C0 controls; the result decodes to the same data.
    """
    return _JSON.sub(_json_escape, text)


def control_characters(value: str) -> list[str]:
    """The control characters ``value`` holds, as visible escapes (empty when none)."""
    return [_escape(m) for m in _ONE_LINE.finditer(value)]


def _texts(name: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(name, item)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for key, item in vars(value).items():
            if not key.startswith("_"):
                yield from _texts(f"{name}.{key}", item)


def refuse_controls(
    fields: Mapping[str, object], error: type[VeilError] = BadInputError, prefix: str = ""
) -> None:
    """Raise ``error`` (one line) when a text field holds a control character.

    Values may be strings, ``None``, sequences, or objects whose attributes are checked as
    ``name.attribute`` (e.g. a pydantic model).
    """
    for name, value in fields.items():
        for field, text in _texts(name, value):
            found = control_characters(text)
            if found:
                raise error(
                    f"{prefix}{field} '{safe_text(text)}' holds control characters "
                    f"({', '.join(dict.fromkeys(found))}); use printable text"
                )
