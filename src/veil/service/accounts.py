"""Accounts (operator, auditor, admin), argon2id passwords, login rate limiting and sessions.

Passwords are hashed with argon2id (RFC 9106's second recommended parameters: t=3, m=64 MiB, p=4)
in the PHC string format, through ``cryptography``'s Argon2id. Failed logins are counted per
account and client address (stored hashed) in the database, so every process behind a load
balancer shares the limit. Sessions are random 256-bit cookies stored as SHA-256; each carries a
synchronizer CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from veil.core.shown import Block, TextTable
from veil.errors import BadInputError
from veil.service.db import PREFIX, ServiceDb

Role = Literal["anonymous", "person", "operator", "auditor", "admin"]
ACCOUNT_ROLES: tuple[Role, ...] = ("operator", "auditor", "admin")
MIN_PASSWORD = 12
# argon2id cost (RFC 9106, second recommendation); verification reads the cost from each hash
ARGON2_ITERATIONS = 3
ARGON2_MEMORY_KIB = 65536
ARGON2_LANES = 4
_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
# the hash checked when the account does not exist, so unknown names cost the same time
_DUMMY = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE"


class LoginRateLimited(BadInputError):
    """Too many failed logins for this account from this address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """An account as listed (never its password hash)."""

    name: str
    role: Role
    pseudonym: str
    created_at: int


@dataclass(frozen=True)
class Session:
    """A live session: its account and CSRF token."""

    account: Account
    csrf: str
    expires_at: int


def sha256_hex(secret: str) -> str:
    """The stored form of a random secret (sessions, tokens, person links)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id PHC string for ``password``."""
    kdf = Argon2id(
        salt=secrets.token_bytes(16), length=32, iterations=ARGON2_ITERATIONS,
        lanes=ARGON2_LANES, memory_cost=ARGON2_MEMORY_KIB,
    )  # fmt: skip
    return str(kdf.derive_phc_encoded(password.encode("utf-8")))


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the argon2id PHC string ``encoded``."""
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8"), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


def generate_password() -> str:
    """A random password (about 128 bits)."""
    return secrets.token_urlsafe(16)


def _account(row: tuple[object, ...]) -> Account:
    name, role, pseudonym, created = row[:4]
    return Account(str(name), role, str(pseudonym), int(str(created)))  # type: ignore[arg-type]


def add_account(db: ServiceDb, name: str, role: str, password: str) -> Account:
    """Create an account; fails on a bad name, role, short password or existing name."""
    if not _NAME.match(name):
        raise BadInputError(f"invalid account name {name!r}: lower-case letters, digits, . _ -")
    if role not in ACCOUNT_ROLES:
        raise BadInputError(f"invalid role {role!r}: one of {', '.join(ACCOUNT_ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise BadInputError(f"the password must have at least {MIN_PASSWORD} characters")
    acct = Account(name, role, secrets.token_hex(16), int(time.time()))
    with db.transaction() as cur:
        if cur.execute(f"SELECT 1 FROM {PREFIX}accounts WHERE name = ?", (name,)).fetchone():
            raise BadInputError(f"account {name!r} already exists")
        cur.execute(
            f"INSERT INTO {PREFIX}accounts (name, role, pseudonym, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (name, role, acct.pseudonym, hash_password(password), acct.created_at),
        )
    return acct


@dataclass(frozen=True)
class NewAccount:
    """An account just made, and its password when it was generated (shown once)."""

    account: Account
    generated_password: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The account's listing (and the generated password, if any)."""
        return {**asdict(self.account), "password": self.generated_password}

    def text(self) -> list[Block]:
        """``added ROLE account NAME``, then the generated password once."""
        lines: list[Block] = [f"added {self.account.role} account {self.account.name}"]
        if self.generated_password is not None:
            lines.append(f"password (shown once): {self.generated_password}")
        return lines


def create_account(db: ServiceDb, name: str, role: str, password: str | None = None) -> NewAccount:
    """:func:`add_account` with ``password``, or with a generated one that the result holds."""
    secret = generate_password() if password is None else password
    account = add_account(db, name, role, secret)
    return NewAccount(account, secret if password is None else None)


@dataclass(frozen=True)
class AccountList:
    """Accounts as listed: name, role, pseudonym (never a password hash)."""

    accounts: tuple[Account, ...]

    def to_json(self) -> list[dict[str, Any]]:
        """Each account's fields."""
        return [asdict(a) for a in self.accounts]

    def text(self) -> list[Block]:
        """One tab-separated line per account: name, role, pseudonym."""
        rows = tuple((a.name, a.role, a.pseudonym) for a in self.accounts)
        return [TextTable(rows, tab_separated=True)]


def account_list(db: ServiceDb) -> AccountList:
    """Every account, by name, as :class:`AccountList`."""
    return AccountList(tuple(list_accounts(db)))


def list_accounts(db: ServiceDb) -> list[Account]:
    """Every account, by name."""
    rows = db.query(f"SELECT name, role, pseudonym, created_at FROM {PREFIX}accounts ORDER BY name")
    return [_account(r) for r in rows]


def get_account(db: ServiceDb, name: str) -> Account | None:
    """The account called ``name``, if any."""
    rows = db.query(
        f"SELECT name, role, pseudonym, created_at FROM {PREFIX}accounts WHERE name = ?", (name,)
    )
    return _account(rows[0]) if rows else None


def _attempt_key(name: str, address: str) -> str:
    return sha256_hex(f"{name}\0{address}")


def authenticate(
    db: ServiceDb,
    name: str,
    password: str,
    address: str,
    *,
    max_failures: int = 5,
    window_s: int = 900,
    now: float | None = None,
) -> Account | None:
    """The account if ``password`` is right; ``None`` if not. Raises :class:`LoginRateLimited`
    (without checking the password) after ``max_failures`` failures in ``window_s`` seconds."""
    t = int(time.time() if now is None else now)
    key = _attempt_key(name, address)
    rows = db.query(
        f"SELECT failures, window_start FROM {PREFIX}login_attempts WHERE attempt_key = ?", (key,)
    )
    failures, start = (int(rows[0][0]), int(rows[0][1])) if rows else (0, t)
    if t - start >= window_s:
        failures, start = 0, t
    if failures >= max_failures:
        raise LoginRateLimited(max(1, start + window_s - t))
    found = db.query(
        f"SELECT name, role, pseudonym, created_at, password_hash FROM {PREFIX}accounts "
        "WHERE name = ?",
        (name,),
    )
    ok = verify_password(password, str(found[0][4]) if found else _DUMMY) and bool(found)
    with db.transaction() as cur:  # one atomic upsert: concurrent failures all count
        if ok:
            cur.execute(f"DELETE FROM {PREFIX}login_attempts WHERE attempt_key = ?", (key,))
        else:  # windows that are over are forgotten (client addresses are not kept longer)
            cur.execute(
                f"DELETE FROM {PREFIX}login_attempts WHERE window_start <= ?", (t - window_s,)
            )
            cur.execute(
                f"INSERT INTO {PREFIX}login_attempts AS a (attempt_key, failures, window_start) "
                "VALUES (?, 1, ?) ON CONFLICT (attempt_key) DO UPDATE SET "
                "failures = CASE WHEN ? - a.window_start >= ? THEN 1 ELSE a.failures + 1 END, "
                "window_start = CASE WHEN ? - a.window_start >= ? THEN ? ELSE a.window_start END",
                (key, t, t, window_s, t, window_s, t),
            )
    return _account(found[0]) if ok else None


def create_session(db: ServiceDb, account: Account, ttl_s: int) -> tuple[str, Session]:
    """A new session for ``account``: the cookie value (shown once) and the session."""
    secret = secrets.token_urlsafe(32)
    now = int(time.time())
    session = Session(account, secrets.token_urlsafe(32), now + ttl_s)
    with db.transaction() as cur:
        cur.execute(f"DELETE FROM {PREFIX}sessions WHERE expires_at <= ?", (now,))
        cur.execute(
            f"INSERT INTO {PREFIX}sessions (id_hash, account, csrf, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha256_hex(secret), account.name, session.csrf, now, session.expires_at),
        )
    return secret, session


def resolve_session(db: ServiceDb, secret: str) -> Session | None:
    """The live session whose cookie is ``secret``, or ``None`` (unknown or expired)."""
    rows = db.query(
        f"SELECT a.name, a.role, a.pseudonym, a.created_at, s.csrf, s.expires_at "
        f"FROM {PREFIX}sessions s JOIN {PREFIX}accounts a ON a.name = s.account "
        "WHERE s.id_hash = ?",
        (sha256_hex(secret),),
    )
    if not rows or int(rows[0][5]) <= int(time.time()):
        return None
    return Session(_account(rows[0]), str(rows[0][4]), int(rows[0][5]))


def delete_session(db: ServiceDb, secret: str) -> None:
    """End the session whose cookie is ``secret`` (no-op if unknown)."""
    with db.transaction() as cur:
        cur.execute(f"DELETE FROM {PREFIX}sessions WHERE id_hash = ?", (sha256_hex(secret),))


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
