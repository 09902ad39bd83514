"""A consent grant as an operator gives it (GrantRequest), called from Python as the service does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from veil.consent.grant_request import GrantRequest, grant_consent, resolve_notice_digest
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.errors import BadInputError, ConfigError

from .conftest import PURPOSE

NOTICE = b"We recognize members who opt in."


def _request(**kw: object) -> GrantRequest:
    fields: dict[str, object] = {
        "subject": "member-7",
        "controller": "Example Club",
        "purposes": (PURPOSE,),
        "notice_version": "2026-01",
        "method": "signed form",
        "notice_digest": notice_digest(NOTICE),
    }
    fields.update(kw)
    return GrantRequest(**fields)  # type: ignore[arg-type]


def test_the_notice_is_given_by_exactly_one_of_file_and_digest(tmp_path: Path) -> None:
    (tmp_path / "notice.txt").write_bytes(NOTICE)
    assert resolve_notice_digest(tmp_path / "notice.txt", None) == notice_digest(NOTICE)
    assert resolve_notice_digest(None, "sha256:" + "0" * 64) == "sha256:" + "0" * 64
    with pytest.raises(ConfigError, match="exactly one"):
        resolve_notice_digest(tmp_path / "notice.txt", "sha256:" + "0" * 64)
    with pytest.raises(ConfigError, match="exactly one"):
        resolve_notice_digest(None, None)
    with pytest.raises(BadInputError, match="cannot read the notice"):
        resolve_notice_digest(tmp_path / "missing.txt", None)


def test_days_and_a_naive_expiry_in_utc(registry: ConsentRegistry) -> None:
    record = grant_consent(registry, _request(days=10))
    assert (record.expires_at - record.given_at).days == 10
    until = grant_consent(registry, _request(subject="m-8", expires=datetime(2030, 1, 2, 3, 4)))
    assert until.expires_at == datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    assert until.notice_digest == notice_digest(NOTICE)


def test_a_minor_needs_a_guardian_who_is_recorded(registry: ConsentRegistry) -> None:
    with pytest.raises(BadInputError):
        grant_consent(registry, _request(subject="child-1", under_14=True))
    record = grant_consent(
        registry,
        _request(subject="child-2", under_14=True, guardian="parent-9", guardian_relation="mother"),
    )
    assert record.guardian is not None
    assert (record.guardian.reference, record.guardian.relation) == ("parent-9", "mother")
