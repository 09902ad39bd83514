"""Kill -9 a real ``veil serve`` during a stream of ingest batches over HTTP: after a restart every
acknowledged event is in the log and ``veil ledger verify`` passes."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.service.serve_proc import event_batch, free_port, run_veil, serve_env, start_serve, stop
from veil.ledger import Ledger
from veil.service import ServiceSettings
from veil.service.db import ServiceDb
from veil.service.tokens import create_token

BATCH = 200


@pytest.mark.timeout(180)
def test_kill_9_during_ingest_loses_no_acknowledged_event(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = ServiceSettings(home=home)
    Ledger.open(settings.db_url(), settings.key_dir()).close()
    secret, _ = create_token(ServiceDb(settings.db_url()), "operator", "crash-test")
    env = serve_env(home, witness_interval_s="1")
    port = free_port()
    server = start_serve(env, port)
    acked: list[tuple[list[str], list[int]]] = []
    enough = threading.Event()

    def stream() -> None:
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as c:
            n = 0
            while True:
                batch = event_batch(BATCH, str(n))
                n += 1
                try:
                    r = c.post("/api/v1/events", json={"events": batch})
                except httpx.TransportError:
                    return  # the server died mid-request: this batch was never acknowledged
                assert r.status_code == 200, r.text
                acked.append(([e["id"] for e in batch], r.json()["indexes"]))
                if len(acked) >= 8:
                    enough.set()

    t = threading.Thread(target=stream)
    try:
        t.start()
        assert enough.wait(90), "the server acknowledged too few batches"
        server.send_signal(signal.SIGKILL)  # while the client keeps posting
        server.wait(30)
        t.join(30)
        assert not t.is_alive()
        server = start_serve(env, port)  # a restart on the same database
        with Ledger.open(settings.db_url(), settings.key_dir(), create=False) as led:
            logged = {json.loads(leaf.data)["id"]: leaf.index for leaf in led.log.iter_leaves()}
            size = led.head().size
        for ids, indexes in acked:
            assert [logged.get(i) for i in ids] == indexes
        assert size >= BATCH * len(acked) and size % BATCH == 0  # whole batches or none
    finally:
        stop(server)
    done = run_veil(
        env, "ledger", "verify", "--db", settings.db_url(), "--keys", str(settings.key_dir())
    )
    assert done.returncode == 0, done.stdout + done.stderr
