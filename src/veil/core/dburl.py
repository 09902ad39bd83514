"""Database URLs: ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a plain path, or
``postgresql://...`` (also ``postgres://``). The ledger and the consent store parse them here,
so both always open the same database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from veil.core.dialect import Dialect
from veil.errors import ConfigError

_SQLITE = "sqlite:///"


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL: the SQLite file it names, or ``None`` for PostgreSQL."""

    url: str
    path: Path | None

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of this database."""
        return Dialect.SQLITE if self.path is not None else Dialect.POSTGRES


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> Path:
    """The file path of a SQLite URL: ``sqlite:///relative``, ``sqlite:////absolute`` or a path."""
    if url.startswith(_SQLITE):
        return Path(url[len(_SQLITE) :])
    if url.startswith("sqlite:"):
        raise ConfigError(f"unsupported SQLite URL {url!r}: use sqlite:///path/to/file.db")
    return Path(url)


def parse_db_url(url: str) -> DatabaseUrl:
    """Parse ``url``; any other scheme is a :class:`~veil.errors.ConfigError`."""
    if is_postgres_url(url):
        return DatabaseUrl(url, None)
    if "://" in url and not url.startswith("sqlite:"):
        raise ConfigError(
            f"unsupported database URL {url!r}: use sqlite:///path/to/veil.db or postgresql://..."
        )
    return DatabaseUrl(url, sqlite_path(url))
