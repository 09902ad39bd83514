"""Accounts and API tokens as ``veil serve user|token`` manage them, called from Python: each
operation returns what the command prints (text and JSON), on the database the settings name."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.core.shown import TextTable
from veil.errors import BadInputError
from veil.service.accounts import account_list, authenticate, create_account
from veil.service.db import ServiceDb
from veil.service.settings import on_service_db
from veil.service.tokens import issue_token, resolve_token, revoke_live_token, token_list

PW = "correct horse battery staple"


@pytest.fixture
def db(tmp_path: Path) -> ServiceDb:
    database = ServiceDb(f"sqlite:///{tmp_path / 'veil.db'}")
    yield database
    database.close()


def test_an_account_shows_a_generated_password_once(db: ServiceDb) -> None:
    made = create_account(db, "ada", "admin")
    assert made.generated_password is not None and len(made.generated_password) >= 20
    assert made.text() == [
        "added admin account ada",
        f"password (shown once): {made.generated_password}",
    ]
    assert authenticate(db, "ada", made.generated_password, "test") is not None
    given = create_account(db, "olga", "operator", PW)
    assert given.generated_password is None and given.text() == ["added operator account olga"]
    assert given.to_json()["password"] is None and given.to_json()["role"] == "operator"
    (table,) = account_list(db).text()
    assert isinstance(table, TextTable) and table.tab_separated
    assert [row[:2] for row in table.rows] == [("ada", "admin"), ("olga", "operator")]
    assert [a["name"] for a in account_list(db).to_json()] == ["ada", "olga"]
    assert "password_hash" not in account_list(db).to_json()[0]


def test_tokens_are_issued_listed_and_revoked(db: ServiceDb) -> None:
    made = issue_token(db, "auditor", "ci", ttl_days=2)
    t = made.token
    assert t.expires_at is not None and t.expires_at - t.created_at == 2 * 86400
    assert made.text() == [
        f"token {t.token_id} (auditor, ci)",
        f"secret (shown once): {made.secret}",
    ]
    assert resolve_token(db, made.secret) == t
    (table,) = token_list(db).text()
    assert isinstance(table, TextTable) and table.rows == ((t.token_id, "auditor", "live", "ci"),)
    assert "secret" not in token_list(db).to_json()[0]
    assert revoke_live_token(db, t.token_id).text() == [f"revoked token {t.token_id}"]
    assert resolve_token(db, made.secret) is None
    (table,) = token_list(db).text()
    assert isinstance(table, TextTable) and table.rows[0][2] == "revoked"
    with pytest.raises(BadInputError, match="no live token"):
        revoke_live_token(db, t.token_id)


def test_the_database_is_the_one_given_else_the_settings_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VEIL_DB", raising=False)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    on_service_db(other, None, create_account, "ada", "admin", PW)
    assert [a.name for a in on_service_db(other, None, account_list).accounts] == ["ada"]
    assert on_service_db(None, None, account_list).accounts == ()
    config = tmp_path / "veil.config"
    config.write_text(f'db = "{other}"\n', encoding="utf-8")
    assert len(on_service_db(None, config, account_list).accounts) == 1
