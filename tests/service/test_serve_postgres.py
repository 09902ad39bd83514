"""Two ``veil serve`` processes on one PostgreSQL appending at once: one consistent log (every
index handed out once, sizes add up, verify passes, checkpoints never fork or shrink)."""

from __future__ import annotations

import threading
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tests.service.serve_proc import event_batch, free_port, run_veil, serve_env, start_serve, stop
from veil.ledger import Ledger
from veil.ledger.merkle import verify_consistency
from veil.ledger.monitor import monitor_ledger
from veil.service.db import ServiceDb
from veil.service.tokens import create_token

BATCHES, BATCH = 15, 100


@pytest.mark.timeout(240)
def test_two_servers_append_to_one_log(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    keys = home / "ledger"
    Ledger.open(pg_url, keys).close()  # one ledger, one key folder, shared by both servers
    secret, _ = create_token(ServiceDb(pg_url), "operator", "pg-test")
    env = serve_env(home, witness_interval_s="1")
    ports = [free_port(), free_port()]
    servers = [start_serve(env, p, "--db", pg_url) for p in ports]
    got: dict[int, list[list[int]]] = {p: [] for p in ports}
    errors: list[str] = []

    def post(port: int) -> None:
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as c:
            for n in range(BATCHES):
                r = c.post("/api/v1/events", json={"events": event_batch(BATCH, f"{port}-{n}")})
                if r.status_code != 200:
                    errors.append(f"{port}: {r.status_code} {r.text[:200]}")
                    return
                got[port].append(r.json()["indexes"])

    try:
        threads = [threading.Thread(target=post, args=(p,)) for p in ports]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert errors == []
        total = 2 * BATCHES * BATCH
        every = sorted(i for batches in got.values() for b in batches for i in b)
        assert every == list(range(total))  # no index handed out twice, none skipped
        for batches in got.values():  # each batch is contiguous (one transaction)
            assert all(b == list(range(b[0], b[0] + BATCH)) for b in batches)
        with httpx.Client(timeout=10) as c:  # both processes serve the same tree
            sizes = set()
            for p in ports:
                r = c.get(f"http://127.0.0.1:{p}/log/checkpoint")
                assert r.status_code == 200
                sizes.add(int(r.text.splitlines()[1]))
            assert max(sizes) <= total
    finally:
        for s in servers:
            stop(s)
    with Ledger.open(pg_url, keys, create=False) as led:
        assert led.head().size == total
        report = led.verify()
        assert report.ok, report.problems
        cps = led.checkpoints()
        assert cps, "the witnessing schedules published no checkpoint"
        for a, b in pairwise(cps):  # no fork, no shrinking
            assert a.size <= b.size
            verify_consistency(
                a.size, b.size, a.root, b.root, led.log.consistency_proof(a.size, b.size)
            )
        rules = {f.rule for f in monitor_ledger(led).findings}
        assert not rules & {"split-view", "checkpoint-size-decrease"}
    done = run_veil(env, "ledger", "verify", "--db", pg_url, "--keys", str(keys))
    assert done.returncode == 0, done.stdout + done.stderr
