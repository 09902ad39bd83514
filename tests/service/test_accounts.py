"""Accounts, the login rate limit, tokens and person links in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import BadInputError
from veil.service import accounts
from veil.service.accounts import (
    LoginRateLimited,
    add_account,
    authenticate,
    hash_password,
    list_accounts,
    verify_password,
)
from veil.service.db import PREFIX, ServiceDb
from veil.service.tokens import (
    create_person_link,
    create_token,
    list_tokens,
    resolve_person_link,
    resolve_token,
    revoke_token,
)

PW = "correct horse battery staple"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veil.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_passwords_are_argon2id_at_the_rfc_9106_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "ARGON2_ITERATIONS", 3)
    monkeypatch.setattr(accounts, "ARGON2_MEMORY_KIB", 65536)
    h = hash_password(PW)
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(PW, h) and not verify_password(PW + "!", h)
    assert hash_password(PW) != h  # salted
    assert not verify_password(PW, "not a hash")


def test_accounts_are_listed_without_secrets_and_refuse_bad_input(db_url: str) -> None:
    db = ServiceDb(db_url)
    acct = add_account(db, "olga", "operator", PW)
    assert list_accounts(db) == [acct] and len(acct.pseudonym) == 32
    (stored,) = db.query(f"SELECT password_hash FROM {PREFIX}accounts")
    assert PW not in str(stored[0]) and str(stored[0]).startswith("$argon2id$")
    for name, role, pw in (("olga", "operator", PW), ("Olga!", "operator", PW),
                           ("otto", "root", PW), ("otto", "auditor", "short")):  # fmt: skip
        with pytest.raises(BadInputError):
            add_account(db, name, role, pw)
    db.close()


def test_the_rate_limit_is_shared_by_processes_and_the_window_expires(db_url: str) -> None:
    one, two = ServiceDb(db_url), ServiceDb(db_url)  # two app processes on one database
    add_account(one, "olga", "operator", PW)
    for db in (one, two, one):
        assert authenticate(db, "olga", "wrong", "10.0.0.1", max_failures=3, now=1000) is None
    with pytest.raises(LoginRateLimited) as exc:
        authenticate(two, "olga", PW, "10.0.0.1", max_failures=3, now=1001)
    assert exc.value.retry_after == 899
    # another address is not locked; after the window the right password works and resets
    assert authenticate(two, "olga", PW, "10.0.0.2", max_failures=3, now=1001) is not None
    assert authenticate(one, "olga", PW, "10.0.0.1", max_failures=3, now=1900) is not None
    assert authenticate(one, "olga", "wrong", "10.0.0.1", max_failures=3, now=1901) is None
    assert authenticate(one, "olga", PW, "10.0.0.1", max_failures=3, now=1902) is not None
    (row,) = one.query(f"SELECT count(*) FROM {PREFIX}login_attempts")
    assert row[0] == 0  # addresses are not kept once a login succeeds
    one.close()
    two.close()


def test_tokens_and_links_are_stored_hashed_and_revocable(db_url: str) -> None:
    db = ServiceDb(db_url)
    secret, tok = create_token(db, "auditor", "ci")
    link_secret, link = create_person_link(db, "ab" * 32, 60)
    assert len(secret) > 40 and secret.startswith("vt_") and link_secret.startswith("vp_")
    dump = repr(db.query(f"SELECT * FROM {PREFIX}tokens")) + repr(
        db.query(f"SELECT * FROM {PREFIX}person_links")
    )
    assert secret not in dump and link_secret not in dump
    assert resolve_token(db, secret) == tok and resolve_token(db, link_secret) is None
    assert resolve_person_link(db, link_secret) == link and resolve_person_link(db, secret) is None
    assert revoke_token(db, tok.token_id) and resolve_token(db, secret) is None
    assert list_tokens(db)[0].revoked_at is not None
    with pytest.raises(BadInputError):
        create_token(db, "admin", "x")  # administration needs a person's session
    with pytest.raises(BadInputError):
        create_person_link(db, "ab" * 32, 0)
    db.close()


def test_the_sqlite_database_is_private(tmp_path: Path) -> None:
    db = ServiceDb(f"sqlite:///{tmp_path / 'h' / 'veil.db'}")
    add_account(db, "olga", "operator", PW)
    for p in (tmp_path / "h").iterdir():
        assert p.stat().st_mode & 0o777 == 0o600, p
    db.close()
