"""API tokens for machines and capability links for persons: random 256-bit secrets, stored only as
SHA-256, revocable at once (every request looks them up; no cache).

An API token is scoped to one role (operator or auditor: administration needs a person's session)
and may expire. A person link is bound to one subject pseudonym (the ledger's keyed pseudonym of
the subject), always expires, and is what an operator hands to the person at consent time.
Secrets carry a prefix (``vt_`` tokens, ``vp_`` person links) so a leaked one is recognisable.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from veil.core.shown import Block, TextTable
from veil.errors import BadInputError
from veil.service.accounts import sha256_hex
from veil.service.db import PREFIX, ServiceDb

TOKEN_PREFIX = "vt_"
LINK_PREFIX = "vp_"
TOKEN_ROLES = ("operator", "auditor")
MAX_LINK_TTL_S = 366 * 86400


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed (never its secret)."""

    token_id: str
    role: str
    label: str
    created_by: str | None
    created_at: int
    expires_at: int | None
    revoked_at: int | None

    @property
    def pseudonym(self) -> str:
        """The reader pseudonym recorded for requests made with this token."""
        return f"token-{self.token_id}"


@dataclass(frozen=True)
class PersonLink:
    """A person capability link as listed (never its secret)."""

    link_id: str
    subject: str
    created_by: str | None
    created_at: int
    expires_at: int
    revoked_at: int | None


def _opt(value: object) -> int | None:
    return None if value is None else int(str(value))


def _token(row: tuple[object, ...]) -> ApiToken:
    tid, role, label, by, created, expires, revoked = row
    return ApiToken(
        str(tid), str(role), str(label), None if by is None else str(by), int(str(created)),
        _opt(expires), _opt(revoked),
    )  # fmt: skip


def create_token(
    db: ServiceDb,
    role: str,
    label: str,
    *,
    created_by: str | None = None,
    ttl_s: int | None = None,
) -> tuple[str, ApiToken]:
    """A new API token: its secret (shown once) and its listing."""
    if role not in TOKEN_ROLES:
        raise BadInputError(f"invalid token role {role!r}: one of {', '.join(TOKEN_ROLES)}")
    if not label or len(label) > 100:
        raise BadInputError("a token needs a label of 1 to 100 characters")
    if ttl_s is not None and ttl_s <= 0:
        raise BadInputError("a token's lifetime must be positive")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = int(time.time())
    tok = ApiToken(secrets.token_hex(8), role, label, created_by, now,
                   None if ttl_s is None else now + ttl_s, None)  # fmt: skip
    with db.transaction() as cur:
        cur.execute(
            f"INSERT INTO {PREFIX}tokens (token_id, hash, role, label, created_by, created_at, "
            "expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (tok.token_id, sha256_hex(secret), role, label, created_by, now, tok.expires_at),
        )
    return secret, tok


_TOKEN_COLS = "token_id, role, label, created_by, created_at, expires_at, revoked_at"


def list_tokens(db: ServiceDb) -> list[ApiToken]:
    """Every API token, newest first (revoked ones too, marked)."""
    rows = db.query(f"SELECT {_TOKEN_COLS} FROM {PREFIX}tokens ORDER BY created_at DESC, token_id")
    return [_token(r) for r in rows]


def revoke_token(db: ServiceDb, token_id: str) -> bool:
    """Revoke a token at once; ``False`` when no live token has that id."""
    with db.transaction() as cur:
        cur.execute(
            f"UPDATE {PREFIX}tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
            (int(time.time()), token_id),
        )
        return cur.rowcount > 0


@dataclass(frozen=True)
class NewToken:
    """A token just made: its listing and its secret (shown once)."""

    token: ApiToken
    secret: str

    def to_json(self) -> dict[str, Any]:
        """The token's listing and its secret."""
        return {**asdict(self.token), "secret": self.secret}

    def text(self) -> list[Block]:
        """``token ID (ROLE, LABEL)``, then the secret once."""
        t = self.token
        return [f"token {t.token_id} ({t.role}, {t.label})", f"secret (shown once): {self.secret}"]


def issue_token(db: ServiceDb, role: str, label: str, ttl_days: int | None = None) -> NewToken:
    """:func:`create_token` for ``role``, expiring after ``ttl_days`` days (``None``: never)."""
    ttl = None if ttl_days is None else ttl_days * 86400
    secret, token = create_token(db, role, label, ttl_s=ttl)
    return NewToken(token, secret)


@dataclass(frozen=True)
class TokenList:
    """API tokens as listed (never a secret), newest first."""

    tokens: tuple[ApiToken, ...]

    def to_json(self) -> list[dict[str, Any]]:
        """Each token's fields."""
        return [asdict(t) for t in self.tokens]

    def text(self) -> list[Block]:
        """One tab-separated line per token: id, role, ``live`` or ``revoked``, label."""
        rows = tuple(
            (t.token_id, t.role, "revoked" if t.revoked_at is not None else "live", t.label)
            for t in self.tokens
        )
        return [TextTable(rows, tab_separated=True)]


def token_list(db: ServiceDb) -> TokenList:
    """Every API token as :class:`TokenList`."""
    return TokenList(tuple(list_tokens(db)))


@dataclass(frozen=True)
class RevokedToken:
    """A token revoked (effective at once)."""

    token_id: str

    def to_json(self) -> dict[str, Any]:
        """The revoked token's id."""
        return {"revoked": self.token_id}

    def text(self) -> list[Block]:
        """``revoked token ID``."""
        return [f"revoked token {self.token_id}"]


def revoke_live_token(db: ServiceDb, token_id: str) -> RevokedToken:
    """:func:`revoke_token`, or :class:`~veil.errors.BadInputError` when none is live."""
    if not revoke_token(db, token_id):
        raise BadInputError(f"no live token with id {token_id!r}")
    return RevokedToken(token_id)


def resolve_token(db: ServiceDb, secret: str) -> ApiToken | None:
    """The live (unrevoked, unexpired) token whose secret is ``secret``."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    rows = db.query(
        f"SELECT {_TOKEN_COLS} FROM {PREFIX}tokens WHERE hash = ?", (sha256_hex(secret),)
    )
    if not rows:
        return None
    tok = _token(rows[0])
    if tok.revoked_at is not None or (tok.expires_at is not None and tok.expires_at <= time.time()):
        return None
    return tok


def _link(row: tuple[object, ...]) -> PersonLink:
    lid, subject, by, created, expires, revoked = row
    return PersonLink(str(lid), str(subject), None if by is None else str(by),
                      int(str(created)), int(str(expires)), _opt(revoked))  # fmt: skip


_LINK_COLS = "link_id, subject, created_by, created_at, expires_at, revoked_at"


def create_person_link(
    db: ServiceDb, subject: str, ttl_s: int, *, created_by: str | None = None
) -> tuple[str, PersonLink]:
    """A capability link for the subject pseudonym ``subject``: its secret (once) and listing."""
    if not subject:
        raise BadInputError("a person link needs a subject pseudonym")
    if not 0 < ttl_s <= MAX_LINK_TTL_S:
        raise BadInputError(f"a person link's lifetime must be 1 s to {MAX_LINK_TTL_S} s")
    secret = LINK_PREFIX + secrets.token_urlsafe(32)
    now = int(time.time())
    link = PersonLink(secrets.token_hex(8), subject, created_by, now, now + ttl_s, None)
    with db.transaction() as cur:
        cur.execute(
            f"INSERT INTO {PREFIX}person_links (link_id, hash, subject, created_by, created_at, "
            "expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (link.link_id, sha256_hex(secret), subject, created_by, now, link.expires_at),
        )
    return secret, link


def list_person_links(db: ServiceDb, subject: str | None = None) -> list[PersonLink]:
    """Person links, newest first; only ``subject``'s when given."""
    where, params = ("WHERE subject = ?", (subject,)) if subject else ("", ())
    rows = db.query(
        f"SELECT {_LINK_COLS} FROM {PREFIX}person_links {where} ORDER BY created_at DESC, link_id",
        params,
    )
    return [_link(r) for r in rows]


def revoke_person_link(db: ServiceDb, link_id: str) -> bool:
    """Revoke a person link at once; ``False`` when no live link has that id."""
    with db.transaction() as cur:
        cur.execute(
            f"UPDATE {PREFIX}person_links SET revoked_at = ? "
            "WHERE link_id = ? AND revoked_at IS NULL",
            (int(time.time()), link_id),
        )
        return cur.rowcount > 0


def resolve_person_link(db: ServiceDb, secret: str) -> PersonLink | None:
    """The live (unrevoked, unexpired) person link whose secret is ``secret``."""
    if not secret.startswith(LINK_PREFIX):
        return None
    rows = db.query(
        f"SELECT {_LINK_COLS} FROM {PREFIX}person_links WHERE hash = ?", (sha256_hex(secret),)
    )
    if not rows:
        return None
    link = _link(rows[0])
    if link.revoked_at is not None or link.expires_at <= time.time():
        return None
    return link
