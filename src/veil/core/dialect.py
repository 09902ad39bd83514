"""The two SQL dialects Veil speaks, and the one place that turns ``?`` placeholders into ``%s``.

SQL in Veil is written once with ``?`` placeholders (SQLite's). :meth:`Dialect.sql` gives the
PostgreSQL form for psycopg: ``?`` outside quoted literals and identifiers becomes ``%s``, and
every ``%`` is doubled (psycopg reads ``%`` as a placeholder even inside literals).
"""

from __future__ import annotations

import enum
import functools
import re

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[?%]")


class Dialect(enum.Enum):
    """SQLite or PostgreSQL: where the SQL Veil writes must differ between them."""

    SQLITE = "sqlite"
    POSTGRES = "postgresql"

    @property
    def placeholder(self) -> str:
        """The parameter placeholder: ``?`` or ``%s``."""
        return "?" if self is Dialect.SQLITE else "%s"

    def sql(self, text: str) -> str:
        """``text``, written with ``?`` placeholders, in this dialect."""
        return text if self is Dialect.SQLITE else _to_pyformat(text)


@functools.lru_cache(maxsize=512)
def _to_pyformat(text: str) -> str:
    return _TOKENS.sub(_pyformat_token, text)


def _pyformat_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if token == "?":
        return "%s"
    return token.replace("%", "%%")
