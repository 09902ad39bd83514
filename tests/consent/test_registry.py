"""The registry: every change is stored and logged under a pseudonym; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from veil.consent.events import MemorySink
from veil.consent.records import ConsentState, Guardian, utcnow
from veil.consent.registry import ConsentError, ConsentRegistry
from veil.errors import ConfigError

from .conftest import ACCESS, PURPOSE, colour_vector


def test_grant_is_stored_and_logged_without_raw_identifiers(
    registry, grant, sink: MemorySink
) -> None:
    record = grant("member-0042")
    assert registry.get(record.record_id) == record
    assert [c.state for c in record.history] == [ConsentState.GIVEN]
    (event,) = sink.events
    assert event.action == "consent_granted" and event.consent_ref == record.record_id
    assert event.subject == sink.pseudonym("member-0042")
    assert "member-0042" not in event.canonical().decode()


def test_unknown_purpose_and_minor_without_guardian_are_refused(registry, grant, sink) -> None:
    with pytest.raises(ConfigError, match="unknown purpose"):
        grant("a", purposes=("marketing",))
    with pytest.raises(ConsentError, match="under 14"):
        grant("child", under_14=True)
    with pytest.raises(ConsentError, match="under 14"):
        grant("child", birth_date=utcnow().date().replace(year=utcnow().year - 10))
    assert registry.records() == [] and sink.events == []
    guardian = Guardian(reference="parent-1", relation="parent", given_at=utcnow())
    assert grant("child", under_14=True, guardian=guardian).is_valid(PURPOSE)


def test_a_raw_identifier_in_the_controller_changes_nothing(registry, grant, sink) -> None:
    from veil.ledger.events import EventError

    with pytest.raises(EventError):
        grant("a", controller="boss@example.com")
    assert registry.records() == [] and sink.events == []


def test_access_purpose_refused_without_alternative(registry) -> None:
    with pytest.raises(ConfigError, match="non-biometric alternative"):
        registry.declare_purpose("door", access=True)
    assert "door" not in [p.name for p in registry.purposes()]
    with pytest.raises(ConfigError, match="already declared"):
        registry.declare_purpose(ACCESS, access=True, alternative="intercom")
    assert registry.declare_purpose(ACCESS, access=True, alternative="intercom", replace=True)


def test_withdraw_by_subject_and_purpose(registry, grant, sink) -> None:
    a = grant("m1", purposes=(PURPOSE,))
    b = grant("m1", purposes=(ACCESS,))
    (done,) = registry.withdraw(subject="m1", purpose=ACCESS, note="moved out")
    assert done.record_id == b.record_id and done.state is ConsentState.WITHDRAWN
    assert registry.get(a.record_id).state is ConsentState.GIVEN
    assert sink.events[-1].action == "consent_withdrawn"
    with pytest.raises(ConsentError, match="already withdrawn"):
        registry.withdraw(b.record_id)
    with pytest.raises(ConsentError, match="no consent record"):
        registry.withdraw("cr_nope")


def test_expire_due_marks_and_logs(registry, grant, sink) -> None:
    r = grant("m1", given_at=utcnow() - timedelta(days=3), expires_at=utcnow() + timedelta(hours=1))
    assert registry.expire_due() == []
    (expired,) = registry.expire_due(utcnow() + timedelta(hours=2))
    assert expired.record_id == r.record_id and expired.state is ConsentState.EXPIRED
    assert sink.events[-1].action == "consent_expired"


def test_export_lists_every_consent_and_every_event(registry, grant, sink) -> None:
    a = grant("m1")
    registry.add_templates("m1", PURPOSE, "test-colour", colour_vector((1, 2, 3)))
    registry.withdraw(a.record_id)
    b = grant("m1", purposes=(ACCESS,))
    grant("someone-else")
    export = registry.export("m1")
    assert [r.record_id for r in export.records] == [a.record_id, b.record_id]
    actions = [e.action for e in export.events]
    assert actions == ["consent_granted", "store", "consent_withdrawn", "consent_granted", "export"]
    assert all(e.subject == export.pseudonym for e in export.events)
    data = export.to_json()
    assert data["templates"] == 0 and len(data["events"]) == 5
    with pytest.raises(ConsentError):
        registry.export("nobody")


def test_templates_need_valid_consent(registry, grant) -> None:
    with pytest.raises(ConsentError, match="no consent recorded"):
        registry.add_templates("m1", PURPOSE, "test-colour", colour_vector((1, 2, 3)))
    grant("m1", purposes=(ACCESS,))
    with pytest.raises(ConsentError, match="wrong purpose"):
        registry.add_templates("m1", PURPOSE, "test-colour", colour_vector((1, 2, 3)))
    assert registry.vault is not None and registry.vault.count() == 0


def test_valid_records_filters(registry: ConsentRegistry, grant) -> None:
    grant("a")
    grant("b", purposes=(ACCESS,))
    gone = grant("c")
    registry.withdraw(gone.record_id)
    assert [r.subject for r in registry.valid_records(PURPOSE)] == ["a"]


def test_a_validity_out_of_range_is_refused_and_changes_nothing(registry, grant, sink) -> None:
    for days in (3_000_000, 36501):  # 3 million days overflowed the datetime before
        with pytest.raises(ConfigError, match="1 to 36500 days"):
            grant("m", valid_for=timedelta(days=days))
    assert registry.records() == [] and sink.events == []
    assert grant("m", valid_for=timedelta(days=36500)).expires_at.year >= utcnow().year + 99
