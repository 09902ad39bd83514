"""Database URLs and the SQL dialect switch, shared by the ledger and the consent store."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.consent.store import sqlite_path as consent_sqlite_path
from veil.core.dburl import parse_db_url
from veil.core.dialect import Dialect
from veil.errors import ConfigError
from veil.ledger.stores import open_store


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///relative/veil.db", Path("relative/veil.db")),
        ("sqlite:////abs/veil.db", Path("/abs/veil.db")),
        ("plain/veil.db", Path("plain/veil.db")),
        ("postgresql://u@h/db", None),
        ("postgres://u@h/db", None),
    ],
)
def test_urls_parse_to_a_file_or_postgres(url: str, path: Path | None) -> None:
    parsed = parse_db_url(url)
    assert parsed.path == path and consent_sqlite_path(url) == path
    assert parsed.dialect is (Dialect.SQLITE if path is not None else Dialect.POSTGRES)


@pytest.mark.parametrize("url", ["mysql://h/db", "sqlite:relative.db", "sqlite://host/x.db"])
def test_the_ledger_and_consent_refuse_the_same_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="unsupported"):
        parse_db_url(url)
    with pytest.raises(ConfigError, match="unsupported"):
        consent_sqlite_path(url)
    with pytest.raises(ConfigError, match="unsupported"):
        open_store(url)


def test_the_ledger_opens_the_file_the_consent_store_names(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veil.db'}"
    store = open_store(url)
    try:
        assert consent_sqlite_path(url) == tmp_path / "veil.db"
        assert (tmp_path / "veil.db").exists()
    finally:
        store.close()


def test_sqlite_sql_is_left_as_written() -> None:
    sql = "SELECT a FROM t WHERE b = ? AND c LIKE '50%?'"
    assert Dialect.SQLITE.sql(sql) == sql
    assert (Dialect.SQLITE.placeholder, Dialect.POSTGRES.placeholder) == ("?", "%s")


def test_postgres_placeholders_skip_quoted_text_and_escape_percent() -> None:
    sql = """SELECT "odd?name" FROM t WHERE a = ? AND b LIKE 'x%?''?' AND c = ? % 2"""
    assert Dialect.POSTGRES.sql(sql) == (
        """SELECT "odd?name" FROM t WHERE a = %s AND b LIKE 'x%%?''?' AND c = %s %% 2"""
    )
    assert Dialect.POSTGRES.sql("INSERT INTO t VALUES (?, ?)") == "INSERT INTO t VALUES (%s, %s)"


@pytest.mark.postgres
def test_the_consent_cursor_runs_translated_sql_on_postgres(pg_url: str) -> None:
    import psycopg

    from veil.consent.store import Cursor

    with psycopg.connect(pg_url, autocommit=True) as conn:
        cursor = Cursor(conn.cursor(), True)
        row = cursor.execute("SELECT ?::int + 1, '50%?', 7 % 4", (41,)).fetchone()
    assert row == (42, "50%?", 3)
