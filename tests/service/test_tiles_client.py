"""An independent client (tests/service/tlog_client.py, no veil.ledger code) reads a real
``veil serve``'s /log tiles over HTTP and verifies inclusion and consistency proofs computed from
them against the signed checkpoints."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.service import tlog_client as tc
from tests.service.serve_proc import event_batch, free_port, serve_env, start_serve, stop
from veil.ledger import Ledger
from veil.service import ServiceSettings
from veil.service.db import ServiceDb
from veil.service.tokens import create_token


@pytest.mark.timeout(180)
def test_proofs_from_tiles_verify_against_the_signed_checkpoints(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = ServiceSettings(home=home)
    with Ledger.open(settings.db_url(), settings.key_dir()) as led:
        vkey = led.vkey
    db = ServiceDb(settings.db_url())
    op, _ = create_token(db, "operator", "tiles-op")
    aud, _ = create_token(db, "auditor", "tiles-aud")
    port = free_port()
    server = start_serve(serve_env(home, witness_interval_s="1"), port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:

            def get(path: str, token: str | None = None) -> bytes:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                r = c.get("/log/" + path, headers=headers)
                assert r.status_code == 200, (path, r.status_code, r.text)
                return r.content

            def ingest_and_wait(n: int, want: int) -> tc.Checkpoint:
                for k in range(0, n, 1000):
                    batch = event_batch(min(1000, n - k), f"{want}-{k}")
                    r = c.post("/api/v1/events", json={"events": batch},
                               headers={"Authorization": f"Bearer {op}"})  # fmt: skip
                    assert r.status_code == 200
                for _ in range(300):
                    r = c.get("/log/checkpoint")
                    if r.status_code == 200:
                        cp = tc.verify_checkpoint(r.text, vkey)
                        if cp.size == want:
                            return cp
                    time.sleep(0.05)
                raise AssertionError(f"no checkpoint of size {want}")

            old = ingest_and_wait(70_001 - 66_000, 4001)  # > 256*8: two hash-tile levels
            new = ingest_and_wait(66_000, 70_001)  # > 65,536: a third tile level
            tree = tc.TiledTree(get, new.size)
            assert tree.mth(0, new.size) == new.root
            for m in (0, 1, 255, 256, 4000, 65_535, 65_536, 70_000):
                bundle = tc.entry_bundle(
                    get(tc.tile_path("entries", m // 256, _w(new.size, m)), aud)
                )
                leaf = bundle[m % 256]
                assert json.loads(leaf)["v"] == 1
                leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
                proof = tree.inclusion(m)
                assert tc.check_inclusion(m, new.size, leaf_hash, proof, new.root)
                assert not tc.check_inclusion(m, new.size, leaf_hash[::-1], proof, new.root)
            for m in (1, 2, 3, 256, old.size, 65_536, new.size):
                proof = tree.consistency(m)
                old_root = old.root if m == old.size else tree.mth(0, m)
                assert tc.check_consistency(m, new.size, old_root, new.root, proof)
            assert not tc.check_consistency(
                old.size, new.size, new.root, new.root, tree.consistency(old.size)
            )
            anon = c.get("/log/" + tc.tile_path("entries", 0, 256))
            assert anon.status_code == 401 and b"gate-" not in anon.content
    finally:
        stop(server)


def _w(size: int, m: int) -> int:
    """The width of the entry bundle holding leaf ``m`` in a tree of ``size``."""
    return min(256, size - (m // 256) * 256)
