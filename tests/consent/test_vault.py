"""Templates encrypted per subject; withdrawal destroys them and the key (crypto-shredding)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veil.consent.registry import ConsentRegistry
from veil.consent.store import TABLE_PREFIX, ConsentStore
from veil.consent.vault import MasterKey, MasterKeyError, Vault, load_master_key
from veil.errors import VerificationError

from .conftest import ACCESS, PURPOSE


def db_files(db_path: Path) -> bytes:
    """Every byte of the database: the main file, its WAL and its shared-memory index."""
    return b"".join(
        p.read_bytes()
        for p in (
            db_path,
            db_path.with_name(db_path.name + "-wal"),
            db_path.with_name(db_path.name + "-shm"),
        )
        if p.exists()
    )


def stored(store: ConsentStore) -> tuple[list[bytes], list[bytes]]:
    blobs = [r[0] for r in store.query(f"SELECT blob FROM {TABLE_PREFIX}templates")]
    keys = [r[0] for r in store.query(f"SELECT wrapped FROM {TABLE_PREFIX}subject_keys")]
    return blobs, keys


def random_template(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(1, 128)).astype(np.float32)


def test_templates_round_trip_encrypted(registry: ConsentRegistry, grant, db_path: Path) -> None:
    grant("alice")
    vector = random_template(1)
    registry.add_templates("alice", PURPOSE, "m", vector)
    assert registry.vault is not None
    (template,) = registry.vault.templates(["alice"])
    assert np.array_equal(template.vector, vector[0])
    assert vector.tobytes() not in db_files(db_path)  # only ciphertext is ever written


def test_crypto_shredding_leaves_no_bytes_in_the_database_files(
    registry: ConsentRegistry, grant, db_path: Path
) -> None:
    for subject, seed in (("alice", 1), ("bob", 2)):
        grant(subject)
        registry.add_templates(subject, PURPOSE, "m", random_template(seed))
    assert registry.store.query("PRAGMA journal_mode")[0][0] == "wal"
    alice_blob = next(
        r[0]
        for r in registry.store.query(
            f"SELECT blob FROM {TABLE_PREFIX}templates WHERE subject = 'alice'"
        )
    )
    alice_key = registry.store.query(
        f"SELECT wrapped FROM {TABLE_PREFIX}subject_keys WHERE subject = 'alice'"
    )[0][0]
    before = db_files(db_path)
    assert alice_blob in before and alice_key in before  # the search would find them
    registry.withdraw(subject="alice")
    after = db_files(db_path)
    assert alice_blob not in after and alice_key not in after
    assert alice_blob[12:28] not in after  # not even a piece of the ciphertext
    assert random_template(1).tobytes() not in after
    # Bob is untouched and still readable.
    assert registry.vault is not None
    (bob,) = registry.vault.templates()
    assert bob.subject == "bob" and np.array_equal(bob.vector, random_template(2)[0])
    assert registry.vault.count("alice") == 0


def test_withdrawing_one_of_two_consents_rekeys_the_rest(registry: ConsentRegistry, grant) -> None:
    grant("alice", purposes=(PURPOSE,))
    access = grant("alice", purposes=(ACCESS,))
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    registry.add_templates("alice", ACCESS, "m", random_template(2))
    _, (old_key,) = stored(registry.store)
    registry.withdraw(subject="alice", purpose=PURPOSE)
    _, (new_key,) = stored(registry.store)
    assert new_key != old_key
    assert registry.vault is not None
    (kept,) = registry.vault.templates(["alice"])
    assert kept.record_id == access.record_id
    assert np.array_equal(kept.vector, random_template(2)[0])


def test_withdrawal_works_without_the_master_key(store, sink, master, grant, registry) -> None:
    grant("alice")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    keyless = ConsentRegistry(store, sink, Vault(store, None, key_error="no key configured"))
    keyless.withdraw(subject="alice")
    assert stored(store) == ([], [])


def test_wrong_or_missing_master_key(registry: ConsentRegistry, grant, store) -> None:
    grant("alice")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    other = Vault(store, MasterKey.generate())
    with pytest.raises(MasterKeyError, match="wrapped by master key"):
        other.templates()
    with pytest.raises(MasterKeyError):
        other.check_master()
    with pytest.raises(MasterKeyError, match="no key configured"):
        Vault(store, None, key_error="no key configured").templates()


def test_tampered_template_fails_authentication(registry: ConsentRegistry, grant, store) -> None:
    grant("alice")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    with store.transaction() as cur:
        (blob,) = cur.execute(f"SELECT blob FROM {TABLE_PREFIX}templates").fetchone()
        flipped = blob[:-1] + bytes([blob[-1] ^ 1])
        cur.execute(f"UPDATE {TABLE_PREFIX}templates SET blob = ?", (flipped,))
    assert registry.vault is not None
    with pytest.raises(VerificationError):
        registry.vault.templates()


def test_master_key_rotation(registry: ConsentRegistry, grant, store, master) -> None:
    grant("alice")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    new = MasterKey.generate()
    assert registry.vault is not None
    assert registry.vault.rotate_master(new) == 1
    with pytest.raises(MasterKeyError):
        Vault(store, master).templates()
    (template,) = Vault(store, new).templates()
    assert np.array_equal(template.vector, random_template(1)[0])


def test_master_key_from_environment_or_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("VEIL_MASTER_KEY", raising=False)
    monkeypatch.setenv("VEIL_MASTER_KEY_FILE", str(tmp_path / "k"))
    with pytest.raises(MasterKeyError, match="no master key"):
        load_master_key()
    key = MasterKey.generate()
    key.write(tmp_path / "k")
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0
    assert load_master_key() == key
    with pytest.raises(MasterKeyError, match="refusing to overwrite"):
        key.write(tmp_path / "k")
    monkeypatch.setenv("VEIL_MASTER_KEY", "zz")
    with pytest.raises(MasterKeyError, match="not 64 hex digits"):
        load_master_key()
    assert "secret" not in repr(key) and key.secret.hex() not in repr(key)


def test_crypto_shredding_with_the_ledger_in_the_same_database(tmp_path: Path) -> None:
    """As the CLI runs it: the ledger's connection is open on the same SQLite file (WAL)."""
    from datetime import timedelta

    from veil.consent.registry import notice_digest
    from veil.ledger import Ledger

    db_path = tmp_path / "veil.db"
    url = f"sqlite:///{db_path}"
    ledger = Ledger.open(url, tmp_path / "keys")
    store = ConsentStore(url)
    try:
        registry = ConsentRegistry(store, ledger, Vault(store, MasterKey.generate()))
        registry.declare_purpose(PURPOSE)
        record = registry.grant(
            subject="alice",
            controller="Shop",
            purposes=[PURPOSE],
            notice_version="v1",
            notice_digest=notice_digest(b"n"),
            collection_method="app",
            valid_for=timedelta(days=1),
        )
        registry.add_templates("alice", PURPOSE, "m", random_template(3))
        (blob,), (key,) = stored(store)
        assert blob in db_files(db_path) and key in db_files(db_path)
        registry.withdraw(record.record_id)
        after = db_files(db_path)
        assert blob not in after and key not in after and blob[12:28] not in after
        actions = [e.action for e in ledger.events_for_subject(ledger.pseudonym("alice"))]
        assert actions[-1] == "consent_withdrawn"
    finally:
        store.close()
        ledger.close()


def test_many_subjects_are_read_beyond_sql_parameter_limits(
    registry: ConsentRegistry, grant
) -> None:
    grant("alice")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    assert registry.vault is not None
    wanted = ["alice", *(f"nobody-{i}" for i in range(40_000))]
    (template,) = registry.vault.templates(wanted)
    assert template.subject == "alice"


def test_a_wrong_master_key_is_refused_at_enrollment_and_writes_nothing(
    registry: ConsentRegistry, grant, store, sink, master
) -> None:
    grant("alice")
    grant("bob")
    registry.add_templates("alice", PURPOSE, "m", random_template(1))
    events_before = len(sink.events)
    wrong = ConsentRegistry(store, sink, Vault(store, MasterKey.generate()))
    with pytest.raises(MasterKeyError, match="nothing was written"):
        wrong.add_templates("bob", PURPOSE, "m", random_template(2))
    ids = {r[0] for r in store.query(f"SELECT DISTINCT master_id FROM {TABLE_PREFIX}subject_keys")}
    assert ids == {master.key_id}  # never two master keys in one vault
    assert Vault(store, master).count() == 1 and len(sink.events) == events_before
    Vault(store, master).check_master()  # the right key still opens everything
    assert len(Vault(store, master).templates()) == 1


_KILL_MID_ROTATION = """
import os, signal, sys
from veil.consent import vault as v
from veil.consent.store import ConsentStore
store = ConsentStore(sys.argv[1])
old = v.MasterKey.from_hex(sys.argv[2])
new = v.MasterKey.from_hex(sys.argv[3])
real_seal, sealed = v._seal, []
def seal_then_die(key, plain, aad):
    sealed.append(1)
    if len(sealed) == 3:  # two subject keys rewrapped, the third about to be: die
        os.kill(os.getpid(), signal.SIGKILL)
    return real_seal(key, plain, aad)
v._seal = seal_then_die
v.Vault(store, old).rotate_master(new)
"""


def test_rotation_killed_midway_leaves_every_template_readable(
    registry: ConsentRegistry, grant, store, master, db_path: Path
) -> None:
    import subprocess
    import sys

    for i, name in enumerate(("alice", "bob", "carol", "dave")):
        grant(name)
        registry.add_templates(name, PURPOSE, "m", random_template(i))
    new = MasterKey.generate()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILL_MID_ROTATION,
            f"sqlite:///{db_path}",
            master.secret.hex(),
            new.secret.hex(),
        ],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr.decode()
    fresh = ConsentStore(f"sqlite:///{db_path}")
    try:
        Vault(fresh, master).check_master()  # nothing half-rotated: all under the old key
        assert len(Vault(fresh, master).templates()) == 4
        assert Vault(fresh, master).rotate_master(new) == 4  # the rotation can be run again
        assert len(Vault(fresh, new).templates()) == 4
    finally:
        fresh.close()
