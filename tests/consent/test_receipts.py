"""Giving and withdrawing consent as the person API does: receipts that point into the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from veil.consent.receipts import Receipt, give_consent, withdraw_consent
from veil.consent.records import ConsentState
from veil.consent.registry import ConsentError, ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.consent.vault import MasterKey, Vault
from veil.ledger import Ledger

from .conftest import CONTROLLER, PURPOSE, colour_vector


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[ConsentRegistry, Ledger, Vault]]:
    url = f"sqlite:///{tmp_path / 'veil.db'}"
    with Ledger.open(url, tmp_path / "keys") as ledger:
        store = ConsentStore(url)
        try:
            vault = Vault(store, MasterKey.generate())
            registry = ConsentRegistry(store, ledger, vault)
            registry.declare_purpose(PURPOSE, description="greet members by name")
            yield registry, ledger, vault
        finally:
            store.close()


def _give(registry: ConsentRegistry, subject: str) -> Receipt:
    return give_consent(
        registry,
        subject=subject,
        controller=CONTROLLER,
        purposes=[PURPOSE],
        notice_version="2026-01",
        notice_digest=notice_digest(b"We recognize members who opt in."),
        collection_method="person API",
        valid_for=timedelta(days=30),
    )


def test_giving_returns_a_receipt_that_points_at_the_ledger_event(
    world: tuple[ConsentRegistry, Ledger, Vault],
) -> None:
    registry, ledger, _ = world
    before = ledger.head().size
    receipt = _give(registry, "member-7")
    assert receipt.action == "consent_granted" and receipt.state == "given"
    assert receipt.purposes == (PURPOSE,) and receipt.controller == CONTROLLER
    assert receipt.ledger_index == before
    index, event = ledger.find_event(receipt.event_id)
    assert index == receipt.ledger_index
    assert event.action == "consent_granted" and event.consent_ref == receipt.record_id
    assert event.subject == ledger.pseudonym("member-7")
    assert registry.get(receipt.record_id).is_valid(PURPOSE)
    assert receipt.expires_at - receipt.at == timedelta(days=30)


def test_withdrawing_is_effective_at_once_destroys_templates_and_says_where_it_is_logged(
    world: tuple[ConsentRegistry, Ledger, Vault],
) -> None:
    registry, ledger, vault = world
    given = _give(registry, "member-7")
    vectors = np.concatenate([colour_vector((1, 2, 3)), colour_vector((4, 5, 6))])
    registry.add_templates("member-7", PURPOSE, "test-colour", vectors)
    assert vault.count("member-7") == 2
    receipt = withdraw_consent(registry, given.record_id, subject="member-7", note="moved out")
    assert receipt.action == "consent_withdrawn" and receipt.state == "withdrawn"
    assert receipt.templates_deleted == 2
    assert vault.count("member-7") == 0
    assert registry.valid_consent("member-7", PURPOSE) is None
    record = registry.get(given.record_id)
    assert record.state is ConsentState.WITHDRAWN and record.history[-1].note == "moved out"
    assert receipt.at == record.history[-1].at
    index, event = ledger.find_event(receipt.event_id)
    assert index == receipt.ledger_index == ledger.head().size - 1
    assert event.action == "consent_withdrawn" and event.counts == {"templates_deleted": 2}


def test_a_person_cannot_withdraw_another_persons_consent(
    world: tuple[ConsentRegistry, Ledger, Vault],
) -> None:
    registry, ledger, _ = world
    theirs = _give(registry, "member-8")
    size = ledger.head().size
    with pytest.raises(ConsentError, match="no consent record") as other:
        withdraw_consent(registry, theirs.record_id, subject="member-7")
    with pytest.raises(ConsentError, match="no consent record") as unknown:
        withdraw_consent(registry, "cr_doesnotexist", subject="member-7")
    assert str(other.value).replace(theirs.record_id, "X") == str(unknown.value).replace(
        "cr_doesnotexist", "X"
    )  # the same answer: nothing learned about the other person
    assert registry.get(theirs.record_id).state is ConsentState.GIVEN
    assert ledger.head().size == size


def test_withdrawing_twice_is_refused(world: tuple[ConsentRegistry, Ledger, Vault]) -> None:
    registry, ledger, _ = world
    given = _give(registry, "member-7")
    withdraw_consent(registry, given.record_id)
    size = ledger.head().size
    with pytest.raises(ConsentError, match="already withdrawn"):
        withdraw_consent(registry, given.record_id, subject="member-7")
    assert ledger.head().size == size
