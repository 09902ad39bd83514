"""``veil serve --demo``'s seeded home: a consistent, compliant, cosigned world the pages can show."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from veil.consent.events import MemorySink
from veil.consent.registry import ConsentRegistry
from veil.consent.store import ConsentStore
from veil.ledger import Ledger
from veil.ledger.monitor import monitor_ledger
from veil.ledger.witness import Witness
from veil.rules.deployments import check_deployment
from veil.service.demo import GREETING, DemoSeed, seed_demo


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> DemoSeed:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    return seed_demo(tmp_path_factory.mktemp("demo") / "home", events=250)


def test_ledger_verifies_and_every_checkpoint_is_cosigned(seeded: DemoSeed) -> None:
    witness = Witness.open(seeded.witness_dir)
    with Ledger.open(seeded.db_url, key_dir=seeded.home / "ledger", create=False) as ledger:
        report = ledger.verify([witness.vkey])
        assert report.ok, report.problems
        checkpoints = ledger.checkpoints()
        assert [c.size for c in checkpoints] == [100, 200, 250, ledger.head().size]
        assert all(len(c.cosignatures) == 1 for c in checkpoints)
        assert seeded.events == ledger.head().size > 250


def test_the_monitor_finds_nothing_and_the_deployment_is_compliant(seeded: DemoSeed) -> None:
    with Ledger.open(seeded.db_url, key_dir=seeded.home / "ledger", create=False) as ledger:
        assert monitor_ledger(ledger).findings == ()
    assert check_deployment(seeded.deployment).findings == ()


def test_one_visitor_enrolled_and_recognised_one_withdrawn(seeded: DemoSeed) -> None:
    assert seeded.enrolled == "visitor-001"
    with Ledger.open(seeded.db_url, key_dir=seeded.home / "ledger", create=False) as ledger:
        first = [e.action for e in ledger.events_for_subject(ledger.pseudonym("visitor-001"))]
        last = [e.action for e in ledger.events_for_subject(ledger.pseudonym("visitor-005"))]
    assert first == ["consent_granted", "store", "identify", "identify", "identify"]
    assert last == ["consent_granted", "consent_withdrawn"]
    store = ConsentStore(seeded.db_url)
    try:
        greeting = ConsentRegistry(store, MemorySink()).purpose(GREETING)
        assert greeting.alternative  # a non-biometric alternative always exists
        rows = store.query("SELECT subject, state FROM veil_consent_records ORDER BY subject")
    finally:
        store.close()
    assert [r[1] for r in rows] == ["given"] * 4 + ["withdrawn"]


def test_home_and_secrets_are_private(seeded: DemoSeed) -> None:
    assert stat.S_IMODE(seeded.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((seeded.home / "master.key").stat().st_mode) == 0o600
    assert not list(seeded.home.glob("*.png"))  # the enrollment photo is not kept


def test_refuses_a_home_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "veil.db").write_text("someone's data")
    with pytest.raises(FileExistsError):
        seed_demo(tmp_path, enroll_sample=False)
    assert (tmp_path / "veil.db").read_text() == "someone's data"
