"""Consent on PostgreSQL, in the same database as the ledger (skipped when unreachable)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from veil.consent.gate import ConsentGate
from veil.consent.records import ConsentState
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import TABLE_PREFIX, ConsentStore
from veil.consent.vault import MasterKey, Vault

from .conftest import ColourEmbedder, colour_vector, scene

pytestmark = pytest.mark.postgres


def test_grant_enroll_gate_withdraw_on_postgres(pg_url: str, tmp_path: Path) -> None:
    from veil.ledger import Ledger

    ledger = Ledger.open(pg_url, tmp_path / "keys")
    store = ConsentStore(pg_url)
    try:
        assert store.postgres
        registry = ConsentRegistry(store, ledger, Vault(store, MasterKey.generate()))
        registry.declare_purpose("greet")
        record = registry.grant(
            subject="m1",
            controller="Shop",
            purposes=["greet"],
            notice_version="v1",
            notice_digest=notice_digest(b"n"),
            collection_method="app",
            valid_for=timedelta(days=1),
        )
        registry.add_templates("m1", "greet", ColourEmbedder.name, colour_vector((0, 0, 255)))
        gate = ConsentGate.open(registry, "greet", ColourEmbedder())
        assert gate.decide(*scene([(0, 0, 255), (0, 255, 0)])).redact.tolist() == [False, True]
        registry.withdraw(record.record_id)
        assert registry.get(record.record_id).state is ConsentState.WITHDRAWN
        for table in ("templates", "subject_keys"):
            assert store.query(f"SELECT COUNT(*) FROM {TABLE_PREFIX}{table}")[0][0] == 0
        actions = [e.action for e in ledger.events_for_subject(ledger.pseudonym("m1"))]
        assert actions == ["consent_granted", "store", "identify", "consent_withdrawn"]
        # The ledger's tables sit beside the consent tables in the same schema.
        tables = {
            r[0]
            for r in store.query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        }
        assert f"{TABLE_PREFIX}records" in tables and any(
            t.startswith("veil_ledger_") for t in tables
        )
    finally:
        store.close()
        ledger.close()
