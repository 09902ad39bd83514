"""Consent records, after ISO/IEC TS 27560 consent records and Kantara consent receipts.

A :class:`ConsentRecord` is one person's separate, informed, purpose-bound consent to facial
recognition (PIPL Arts. 14, 15, 28, 29): who gave it (``subject``, the operator's identifier), to
whom (``controller``), for which purposes and data categories, on which notice (version and the
SHA-256 of the text shown), how it was collected, when it was given and until when it holds, its
state and the history of that state, the guardian's consent for a subject under 14 (PIPL Art. 31)
and, for access purposes, the non-biometric alternative offered (2025 measures Art. 10). A
:class:`Purpose` is declared once; an access purpose cannot be declared without an alternative.

Validity is decided here, by pure functions (:meth:`ConsentRecord.validity`), so the registry, the
gate and the tests agree on one rule: given, for that purpose, not past its expiry, and with a
guardian's consent for a subject under 14. Anything else means "not valid": redact.
"""

from __future__ import annotations

import base64
import os
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veil.errors import ConfigError

MAX_CONSENT_DAYS: Final = (
    36500  # 100 years: longer is a mistake, and past year 9999 cannot be stored
)
DEFAULT_CATEGORIES = ("biometric.facial_image", "biometric.facial_template")
LEGAL_BASIS: Final = "separate_consent"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def utcnow() -> datetime:
    """The current time, UTC, to the microsecond."""
    return datetime.now(UTC)


def new_record_id() -> str:
    """A random record id, ``cr_`` and 26 base32 characters (letters and 2-7, never long numbers)."""
    return "cr_" + base64.b32encode(os.urandom(16)).decode().rstrip("=").lower()


class ConsentState(StrEnum):
    """Where a consent stands: given, then withdrawn by the person or expired."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


StateT = TypeVar("StateT", bound=StrEnum)


class HistoryEntry(BaseModel, Generic[StateT]):
    """One entry of a history (a consent's, a rights request's): the state, when, a note."""

    model_config = ConfigDict(frozen=True)

    state: StateT
    at: datetime
    note: str | None = None


class StateChange(HistoryEntry[ConsentState]):
    """One entry of a consent record's history."""


class Guardian(BaseModel):
    """The consent of a parent or guardian for a subject under 14 (PIPL Art. 31)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    reference: str = Field(
        min_length=1, max_length=200, description="who consented (operator's id)"
    )
    relation: str = Field(min_length=1, max_length=50, description="e.g. parent, guardian")
    given_at: datetime


class Purpose(BaseModel):
    """A declared processing purpose. Access purposes must offer a non-biometric alternative."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: str
    description: str = Field(default="", max_length=500)
    access: bool = False
    alternative: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "a purpose name is 1-64 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter (e.g. 'access-gate', 'member-greeting')"
            )
        return value

    @model_validator(mode="after")
    def _check_alternative(self) -> Purpose:
        if self.access and not (self.alternative and self.alternative.strip()):
            raise ValueError(
                "an access purpose must name the non-biometric alternative offered "
                "(e.g. 'key card or intercom'); 2025 facial-recognition measures Art. 10"
            )
        return self


Validity = Literal[
    "valid",
    "withdrawn",
    "expired",
    "wrong_purpose",
    "not_yet_valid",
    "guardian_missing",
]


class ConsentRecord(BaseModel):
    """One person's consent to facial recognition for given purposes."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    record_id: str = Field(default_factory=new_record_id)
    subject: str = Field(min_length=1, max_length=200)
    controller: str = Field(min_length=1, max_length=200)
    purposes: tuple[str, ...] = Field(min_length=1)
    data_categories: tuple[str, ...] = DEFAULT_CATEGORIES
    legal_basis: Literal["separate_consent"] = LEGAL_BASIS
    notice_version: str = Field(min_length=1, max_length=100)
    notice_digest: str
    collection_method: str = Field(min_length=1, max_length=100)
    given_at: datetime
    expires_at: datetime
    under_14: bool = False
    birth_date: date | None = None
    guardian: Guardian | None = None
    state: ConsentState = ConsentState.GIVEN
    history: tuple[StateChange, ...] = ()

    @field_validator("notice_digest")
    @classmethod
    def _check_digest(cls, value: str) -> str:
        if not _DIGEST.match(value):
            raise ValueError("notice_digest must be 'sha256:' and 64 lower-case hex digits")
        return value

    @field_validator("given_at", "expires_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("times must carry a time zone (UTC)")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _check(self) -> ConsentRecord:
        if self.expires_at <= self.given_at:
            raise ValueError("expires_at must come after given_at")
        if len(set(self.purposes)) != len(self.purposes):
            raise ValueError("purposes repeat")
        return self

    def validity(self, purpose: str, at: datetime | None = None) -> Validity:
        """Whether this record allows recognition for ``purpose`` at ``at`` (default now)."""
        now = at or utcnow()
        if self.state is ConsentState.WITHDRAWN:
            return "withdrawn"
        if self.state is ConsentState.EXPIRED or now >= self.expires_at:
            return "expired"
        if purpose not in self.purposes:
            return "wrong_purpose"
        if now < self.given_at:
            return "not_yet_valid"
        if self.is_minor(now) and self.guardian is None:
            return "guardian_missing"
        return "valid"

    def is_valid(self, purpose: str, at: datetime | None = None) -> bool:
        """True only when :meth:`validity` is ``"valid"``."""
        return self.validity(purpose, at) == "valid"

    def is_minor(self, at: datetime | None = None) -> bool:
        """Under 14, by the declared flag or by the birth date at ``at``."""
        if self.under_14:
            return True
        if self.birth_date is None:
            return False
        today = (at or utcnow()).date()
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years < 14

    def with_state(
        self, state: ConsentState, at: datetime, note: str | None = None
    ) -> ConsentRecord:
        """A copy in ``state``, with the change appended to the history."""
        change = StateChange(state=state, at=at, note=note)
        return self.model_copy(update={"state": state, "history": (*self.history, change)})


def consent_validity(period: int | timedelta) -> timedelta:
    """How long a consent lasts (``period`` in days or as a timedelta), checked against the range.

    Raises :class:`~veil.errors.ConfigError` unless it is more than zero and at most
    :data:`MAX_CONSENT_DAYS` days.
    """
    days = period.total_seconds() / 86400 if isinstance(period, timedelta) else period
    if not 0 < days <= MAX_CONSENT_DAYS:
        raise ConfigError(
            f"a consent must be valid for 1 to {MAX_CONSENT_DAYS} days (100 years),"
            f" not {period if isinstance(period, int) else round(days, 3)}"
        )
    return period if isinstance(period, timedelta) else timedelta(days=period)
