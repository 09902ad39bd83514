"""A consent grant as given by an operator (``veil consent grant``, the service's forms): the
notice by file or digest, validity in days or an expiry, a minor's guardian. One typed request,
one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from veil.consent.records import ConsentRecord, Guardian, consent_validity, utcnow
from veil.consent.registry import notice_digest as digest_of
from veil.core.shown import ModelsShown
from veil.errors import BadInputError, ConfigError

if TYPE_CHECKING:
    from veil.consent.registry import ConsentRegistry


@dataclass(frozen=True)
class GrantRequest:
    """What an operator gives to record one consent (see ``veil consent grant --help``)."""

    subject: str
    controller: str
    purposes: tuple[str, ...]
    notice_version: str
    method: str
    notice_digest: str
    days: int = 365
    expires: datetime | None = None
    under_14: bool = False
    birth_date: date | None = None
    guardian: str | None = None
    guardian_relation: str = "parent"


def resolve_notice_digest(notice_file: Path | None, notice_digest: str | None) -> str:
    """The notice's ``sha256:`` digest from exactly one of its file and its digest (checked
    before any database is opened)."""
    if (notice_file is None) == (notice_digest is None):
        raise ConfigError("give exactly one of --notice-file and --notice-digest")
    if notice_file is None:
        return str(notice_digest)
    try:
        return digest_of(notice_file.read_bytes())
    except OSError as exc:
        raise BadInputError(f"cannot read the notice {notice_file}: {exc.strerror}") from None


def grant_consent(registry: ConsentRegistry, request: GrantRequest) -> ConsentRecord:
    """Record the consent described by ``request`` (a naive expiry is taken as UTC)."""
    now = utcnow()
    expires_at = request.expires
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    guardian = (
        Guardian(reference=request.guardian, relation=request.guardian_relation, given_at=now)
        if request.guardian
        else None
    )
    return registry.grant(
        subject=request.subject,
        controller=request.controller,
        purposes=request.purposes,
        notice_version=request.notice_version,
        notice_digest=request.notice_digest,
        collection_method=request.method,
        valid_for=consent_validity(request.days),
        expires_at=expires_at,
        given_at=now,
        under_14=request.under_14,
        birth_date=request.birth_date,
        guardian=guardian,
    )


def record_grant(registry: ConsentRegistry, request: GrantRequest) -> ModelsShown[ConsentRecord]:
    """:func:`grant_consent`, reported as ``veil consent grant`` reports it."""
    record = grant_consent(registry, request)
    line = f"consent {record.record_id} recorded; valid until {record.expires_at.isoformat()}"
    return ModelsShown((record,), (line,), single=True)
