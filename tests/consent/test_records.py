"""Consent records: one validity rule shared by the registry, the gate and the tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from veil.consent.records import ConsentRecord, ConsentState, Guardian, Purpose

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32


def record(**kw: object) -> ConsentRecord:
    fields: dict[str, object] = {
        "subject": "member-1",
        "controller": "Shop",
        "purposes": ("member-greeting",),
        "notice_version": "v1",
        "notice_digest": DIGEST,
        "collection_method": "app",
        "given_at": T0,
        "expires_at": T0 + timedelta(days=30),
    }
    fields.update(kw)
    return ConsentRecord.model_validate(fields)


def test_valid_only_for_its_purposes_within_its_time() -> None:
    r = record()
    assert r.validity("member-greeting", T0 + timedelta(days=1)) == "valid"
    assert r.validity("access-gate", T0 + timedelta(days=1)) == "wrong_purpose"
    assert r.validity("member-greeting", T0 - timedelta(days=1)) == "not_yet_valid"
    assert r.validity("member-greeting", T0 + timedelta(days=30)) == "expired"


def test_withdrawn_and_expired_states_win_over_time() -> None:
    r = record()
    withdrawn = r.with_state(ConsentState.WITHDRAWN, T0 + timedelta(days=2), "moved out")
    assert withdrawn.validity("member-greeting", T0 + timedelta(days=3)) == "withdrawn"
    assert [c.state for c in withdrawn.history] == [ConsentState.WITHDRAWN]
    assert r.with_state(ConsentState.EXPIRED, T0).validity("member-greeting", T0) == "expired"


def test_under_14_needs_a_guardian() -> None:
    at = T0 + timedelta(days=1)
    assert record(under_14=True).validity("member-greeting", at) == "guardian_missing"
    child = record(birth_date=date(2015, 6, 1))
    assert child.is_minor(at) and child.validity("member-greeting", at) == "guardian_missing"
    guardian = Guardian(reference="parent-9", relation="parent", given_at=T0)
    assert record(under_14=True, guardian=guardian).validity("member-greeting", at) == "valid"
    # Turning 14 ends the need: born 2012-01-01 is 14 on 2026-01-01.
    assert not record(birth_date=date(2012, 1, 1)).is_minor(T0)
    assert record(birth_date=date(2012, 1, 2)).is_minor(T0)


@pytest.mark.parametrize(
    "bad",
    [
        {"notice_digest": "md5:abc"},
        {"expires_at": T0},
        {"purposes": ("a", "a")},
        {"purposes": ()},
        {"given_at": datetime(2026, 1, 1)},  # naive time
        {"legal_basis": "contract"},
    ],
)
def test_malformed_records_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        record(**bad)


def test_access_purpose_needs_a_non_biometric_alternative() -> None:
    with pytest.raises(ValidationError, match="non-biometric alternative"):
        Purpose(name="access-gate", access=True)
    with pytest.raises(ValidationError, match="non-biometric alternative"):
        Purpose(name="access-gate", access=True, alternative="   ")
    assert Purpose(name="access-gate", access=True, alternative="key card").access
    with pytest.raises(ValidationError):
        Purpose(name="Access Gate")


def test_consent_validity_is_bounded() -> None:
    from datetime import timedelta

    from veil.consent.records import MAX_CONSENT_DAYS, consent_validity
    from veil.errors import ConfigError

    assert consent_validity(MAX_CONSENT_DAYS) == timedelta(days=MAX_CONSENT_DAYS)
    assert consent_validity(timedelta(hours=1)) == timedelta(hours=1)
    for bad in (
        0,
        -1,
        MAX_CONSENT_DAYS + 1,
        3_000_000,
        10**13,
        timedelta(days=MAX_CONSENT_DAYS + 1),
    ):
        with pytest.raises(ConfigError, match=f"1 to {MAX_CONSENT_DAYS} days"):
            consent_validity(bad)
