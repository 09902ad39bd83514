"""Processing events: the one currency of the ledger.

An :class:`Event` says who (controller, system) did what (action) to which kinds of personal
information (dotted data categories), why (purpose) and on which legal basis (PIPL Art. 13),
for one subject given only as a keyed pseudonym. Its leaf bytes are canonical JSON (RFC 8785),
so anyone can recompute the Merkle tree from an export with any JSON canonicalizer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from veil.errors import BadInputError
from veil.ledger.pii import raw_identifier_kind

SCHEMA_VERSION = 1

Action = Literal[
    "collect",
    "store",
    "use",
    "anonymize",
    "identify",
    "disclose",
    "transfer",
    "delete",
    "consent_granted",
    "consent_withdrawn",
    "consent_expired",
    "export",
]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]

# PIPL Art. 13 para. 1, items (1)-(7).
LegalBasis = Literal[
    "consent",  # (1) the individual's consent
    "contract",  # (2) concluding/performing a contract with the individual, or HR management
    "legal_obligation",  # (3) statutory duties or obligations
    "emergency",  # (4) public-health emergencies; life, health, property in emergencies
    "news_public_interest",  # (5) news reporting and supervision by public opinion
    "disclosed_information",  # (6) information the individual disclosed or lawfully disclosed
    "other_law",  # (7) other circumstances provided by laws and administrative regulations
]
LEGAL_BASES: tuple[str, ...] = LegalBasis.__args__  # type: ignore[attr-defined]

# The data-category taxonomy (dotted, after fides' `user.*` tree, trimmed for Veil). Categories
# marked True are sensitive personal information under PIPL Art. 28.
CATEGORIES: dict[str, bool] = {
    "biometric": True,
    "biometric.facial_image": True,
    "biometric.facial_template": True,
    "biometric.fingerprint": True,
    "biometric.voice": True,
    "biometric.gait": True,
    "image": False,
    "image.scene": False,
    "image.anonymized": False,
    "identity": False,
    "identity.name": False,
    "identity.government_id": True,
    "identity.account": False,
    "contact": False,
    "contact.phone": False,
    "contact.email": False,
    "contact.address": False,
    "device": False,
    "device.identifier": False,
    "device.network": False,
    "location": True,
    "location.precise": True,
    "location.coarse": False,
    "financial": True,
    "financial.account": True,
    "financial.transaction": True,
    "health": True,
    "health.medical": True,
    "religion": True,
    "specific_identity": True,
    "minor": True,
    "behavior": False,
    "behavior.browsing": False,
    "behavior.purchase": False,
    "consent_record": False,
}

_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # exactly Unicode category Cc
# characters whose JSON escaping differs between encoders (C0/C1 controls, DEL, line and
# paragraph separators, surrogates): events with them take the reference RFC 8785 encoder
_RISKY = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class EventError(BadInputError):
    """An event that does not satisfy the schema."""


def uuid7(ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, random bits."""
    stamp = int(time.time() * 1000) if ms is None else ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (stamp & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_sensitive(category: str) -> bool:
    """Whether a data category is sensitive personal information (PIPL Art. 28)."""
    return CATEGORIES.get(category, False)


def raw_identifier_in(text: str) -> bool:
    """True when ``text`` holds what could be a raw identifier (see :mod:`veil.ledger.pii`)."""
    return raw_identifier_kind(text) is not None


def _no_raw_identifiers(value: str, field_name: str) -> str:
    kind = raw_identifier_kind(value)
    if kind is not None:
        raise ValueError(
            f"{field_name} looks like it holds a raw identifier ({kind}); "
            "the ledger never stores raw personal data"
        )
    return value


class Event(BaseModel):
    """One processing of personal information. Build with :meth:`Event.new`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    # Fields are declared in sorted order and maps are kept sorted, so pydantic's compact JSON
    # is already RFC 8785 canonical JSON (see canonical()).
    action: Action
    consent_ref: str | None = Field(default=None, max_length=200)
    controller: str = Field(min_length=1, max_length=200)
    counts: dict[str, int] = Field(default_factory=dict, max_length=32)
    data_categories: list[str] = Field(min_length=1, max_length=32)
    digests: dict[str, str] = Field(default_factory=dict, max_length=32)
    id: str
    legal_basis: LegalBasis
    purpose: str = Field(min_length=1, max_length=500)
    recipient: str | None = Field(default=None, max_length=200)
    separate_consent: bool = False
    subject: str | None = None
    system: str = Field(min_length=1, max_length=200)
    time: str
    v: Literal[1] = 1

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if _UUID7.fullmatch(value):
            return value  # the canonical form of a UUIDv7 (RFC 9562 variant), as str(UUID) is
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            raise ValueError("id must be a UUID") from None
        if parsed.version != 7 or str(parsed) != value:
            raise ValueError("id must be a lower-case UUIDv7")
        return value

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z", value):
            raise ValueError("time must be RFC 3339 UTC, e.g. 2026-01-02T03:04:05.678Z")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("time is not a valid date and time") from None
        return value

    @field_validator("controller", "system", "purpose", "recipient", "consent_ref")
    @classmethod
    def _check_text(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        if _CONTROL.search(value):
            raise ValueError(f"{info.field_name} holds control characters")
        return _no_raw_identifiers(value, info.field_name)

    @field_validator("data_categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        for cat in value:
            if cat not in CATEGORIES:
                raise ValueError(
                    f"unknown data category {cat!r}; known: {', '.join(sorted(CATEGORIES))}"
                )
        if len(set(value)) != len(value):
            raise ValueError("data categories repeat")
        return sorted(value)

    @field_validator("subject")
    @classmethod
    def _check_subject(cls, value: str | None) -> str | None:
        if value is not None and not _PSEUDONYM.match(value):
            raise ValueError(
                "subject must be a pseudonym (64 lower-case hex digits from Ledger.pseudonym), "
                "never a raw identifier"
            )
        return value

    @field_validator("counts", "v", mode="before")
    @classmethod
    def _no_bool_or_text_numbers(cls, value: Any, info: Any) -> Any:
        # in every mode: true is not the number 1, and neither is "1" (Event.new is lax)
        if type(value) is int or (
            type(value) is dict and all(type(n) is int for n in value.values())
        ):
            return value
        if info.field_name == "counts" and not isinstance(value, dict):
            return value  # pydantic names the wrong type
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for k, n in items:
            if isinstance(n, bool | str | float):
                name = info.field_name if k is None else f"count {k!r}"
                raise ValueError(f"{name} must be an integer, not {type(n).__name__}")
        return value

    @field_validator("counts")
    @classmethod
    def _check_counts(cls, value: dict[str, int]) -> dict[str, int]:
        for k, n in value.items():
            if not _KEY.match(k):
                raise ValueError(f"count name {k!r} must be snake_case")
            if isinstance(n, bool) or not 0 <= n < 1 << 53:
                raise ValueError(f"count {k!r} must be a non-negative integer")
        return dict(sorted(value.items()))

    @field_validator("digests")
    @classmethod
    def _check_digests(cls, value: dict[str, str]) -> dict[str, str]:
        for k, d in value.items():
            if not _KEY.match(k):
                raise ValueError(f"digest name {k!r} must be snake_case")
            if not _DIGEST.match(d):
                raise ValueError(f"digest {k!r} must be 'sha256:' and 64 lower-case hex digits")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _check_rules(self) -> Event:
        if self.action in ("disclose", "transfer") and not self.recipient:
            raise ValueError(f"action {self.action!r} needs a recipient")
        if self.action not in ("disclose", "transfer") and self.recipient:
            raise ValueError("only disclose and transfer events name a recipient")
        if self.action.startswith("consent_") and not self.consent_ref:
            raise ValueError(f"action {self.action!r} needs a consent_ref")
        sensitive = [c for c in self.data_categories if is_sensitive(c)]
        if sensitive and self.legal_basis == "consent" and not self.separate_consent:
            raise ValueError(
                f"sensitive data ({', '.join(sensitive)}) on the basis of consent needs separate "
                "consent (PIPL Art. 29): set separate_consent"
            )
        if self.separate_consent and self.legal_basis != "consent":
            raise ValueError("separate_consent is only meaningful with legal_basis 'consent'")
        return self

    @classmethod
    def new(
        cls,
        *,
        action: str,
        controller: str,
        system: str,
        data_categories: list[str],
        purpose: str,
        legal_basis: str,
        subject_pseudonym: str | None = None,
        separate_consent: bool = False,
        consent_ref: str | None = None,
        recipient: str | None = None,
        counts: dict[str, int] | None = None,
        digests: dict[str, str] | None = None,
        time: datetime | None = None,
        id: str | None = None,
    ) -> Event:
        """Build and validate an event; id (UUIDv7) and time (now, UTC) are filled in."""
        when = (time or datetime.now(UTC)).astimezone(UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        return cls.parse(
            {
                "id": id or uuid7(int(when.timestamp() * 1000)),
                "time": stamp,
                "controller": controller,
                "system": system,
                "action": action,
                "data_categories": data_categories,
                "purpose": purpose,
                "legal_basis": legal_basis,
                "separate_consent": separate_consent,
                "consent_ref": consent_ref,
                "recipient": recipient,
                "subject": subject_pseudonym,
                "counts": counts or {},
                "digests": digests or {},
            },
            strict=False,
        )

    @classmethod
    def parse(cls, data: Any, *, strict: bool = True) -> Event:
        """Validate a mapping (or JSON text) into an event, with one clear error on failure.

        ``strict`` (the default, for everything read from files and JSON): every value keeps
        its JSON type; no string, number or boolean is converted into another type."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                raise EventError(f"event is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise EventError("event must be a JSON object")
        try:
            return cls.model_validate(data, strict=strict)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "event"
            msg = first["msg"].removeprefix("Value error, ")
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            raise EventError(f"invalid event: {where}: {msg}{more}") from None

    def canonical(self) -> bytes:
        """The leaf bytes: RFC 8785 canonical JSON, without null fields.

        For this schema (fields declared in sorted order, maps sorted, ASCII keys, integers
        below 2**53, no floats, no control characters) pydantic's compact JSON is RFC 8785
        byte for byte at a third of the cost of a general encoder; the tests check it against
        the ``rfc8785`` package. Anything the fast path cannot be sure of takes that package.
        """
        fast = self.model_dump_json(exclude_none=True).encode("utf-8")
        if b"\\" not in fast and not _RISKY.search(fast.decode("utf-8")):
            return fast  # nothing escaped, nothing whose escaping differs between encoders
        return rfc8785.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_canonical(cls, data: bytes) -> Event:
        """Parse leaf bytes back into an event, checking they are canonical."""
        event = cls.parse(data)
        if event.canonical() != data:
            raise EventError("event bytes are not canonical JSON (RFC 8785)")
        return event

    @property
    def event_id_bytes(self) -> bytes:
        """The 16 bytes of the event id (the ledger's lookup key)."""
        return bytes.fromhex(self.id.replace("-", ""))


def pseudonym(key: bytes, subject_id: str) -> str:
    """HMAC-SHA256 of the NFC-normalized, stripped subject identifier under ``key``, as hex."""
    if len(key) < 32:
        raise ValueError("the pseudonym key must be at least 32 bytes")
    norm = unicodedata.normalize("NFC", subject_id.strip())
    if not norm:
        raise EventError("subject identifier is empty")
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()
