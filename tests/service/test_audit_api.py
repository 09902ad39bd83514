"""The auditor routes: paged entries, the export (the CLI's bytes), checkpoints with cosignatures,
consistency proofs that verify, the verify job (state in the database) and the monitor."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ledger.ledger_helpers import make_event, veil
from tests.service.conftest import login
from veil.ledger.merkle import ProofError, verify_consistency
from veil.ledger.monitor import monitor_ledger
from veil.ledger.witness import Witness
from veil.service import ServiceSettings, create_app


def _fill(app: FastAPI, n: int, **extra: Any) -> None:
    app.state.veil.ledger().append_many(make_event(i, **extra) for i in range(n))


def _poll(c: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job = c.get(f"/api/v1/audit/verify/{job_id}").json()
        if job["state"] != "running":
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("the verify job did not finish")


def test_entries_are_paged_in_log_order(app: FastAPI) -> None:
    _fill(app, 5)
    aud = login(app, "aud", "auditor")
    first = aud.get("/api/v1/audit/entries", params={"limit": 2}).json()
    assert [e["index"] for e in first["entries"]] == [0, 1] and first["next"] == 2
    rest = aud.get("/api/v1/audit/entries", params={"start": 2, "limit": 10}).json()
    assert [e["index"] for e in rest["entries"]] == [2, 3, 4] and rest["next"] is None
    assert rest["size"] == 5 and rest["entries"][0]["event"]["purpose"] == "entrance monitoring 2"
    assert aud.get("/api/v1/audit/entries", params={"limit": 1001}).status_code == 422


def test_export_is_the_same_bytes_as_the_cli(
    app: FastAPI, settings: ServiceSettings, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _fill(app, 7)
    aud = login(app, "aud", "auditor")
    r = aud.get("/api/v1/audit/export")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    ledger = app.state.veil.ledger()
    buf = io.BytesIO()
    ledger.export(buf)
    assert r.content == buf.getvalue() and r.content.count(b"\n") == 7
    out = settings.veil_home() / "cli-export.jsonl"
    code, _, _ = veil(capsysbinary, "ledger", "export", "--db", settings.db_url(),  # type: ignore[arg-type]
                      "--keys", settings.key_dir(), "-o", out)  # fmt: skip
    assert code == 0 and out.read_bytes() == r.content
    assert aud.get("/api/v1/audit/export", params={"size": 3}).content.count(b"\n") == 3
    assert aud.get("/api/v1/audit/export", params={"size": 8}).status_code == 400


def test_checkpoints_carry_their_cosignatures(app: FastAPI, tmp_path: Path) -> None:
    witness = Witness.create(tmp_path / "w", "witness.audit.example")
    _fill(app, 3)
    witness.add_log(app.state.veil.ledger().vkey)
    app.state.veil.ledger().checkpoint([witness])
    adm = login(app, "adm", "admin")
    cps = adm.get("/api/v1/audit/checkpoints").json()
    assert len(cps) == 1 and cps[0]["size"] == 3
    assert len(cps[0]["cosignatures"]) == 1 and "witness.audit.example" in cps[0]["cosignatures"][0]
    one = adm.get(f"/api/v1/audit/checkpoints/{cps[0]['id']}").json()
    assert one == cps[0]
    assert adm.get("/api/v1/audit/checkpoints/99").status_code == 404


def test_consistency_proofs_verify_between_any_two_sizes(app: FastAPI) -> None:
    _fill(app, 13)
    aud = login(app, "aud", "auditor")
    for old, new in [(0, 13), (1, 13), (5, 8), (7, 7), (8, 13)]:
        p = aud.get("/api/v1/audit/consistency", params={"old": old, "new": new}).json()
        proof = [base64.b64decode(h) for h in p["proof"]]
        old_root, new_root = base64.b64decode(p["old_root"]), base64.b64decode(p["new_root"])
        verify_consistency(old, new, old_root, new_root, proof)
        if proof:
            with pytest.raises(ProofError):
                verify_consistency(old, new, old_root, new_root, [b"\x00" * 32, *proof[1:]])
    assert aud.get("/api/v1/audit/consistency?old=9&new=4").status_code == 400
    assert aud.get("/api/v1/audit/consistency?old=1&new=14").status_code == 400


def test_verify_runs_as_a_job_any_process_can_poll(app: FastAPI, settings: ServiceSettings) -> None:
    _fill(app, 20)
    app.state.veil.ledger().checkpoint()
    aud = login(app, "aud", "auditor")
    r = aud.post("/api/v1/audit/verify")
    # 202 at once; a small job may already be done by the time the answer is written
    assert r.status_code == 202 and r.json()["state"] in ("running", "done")
    other = create_app(settings)  # a second process on the same database answers the poll
    try:
        job = _poll(login(other, "aud2", "auditor"), r.json()["job_id"])
    finally:
        other.state.veil.close()
    assert job["state"] == "done" and job["result"]["ok"] is True
    assert job["result"]["leaves_checked"] == 20 and job["done"] == job["total"] == 20
    db = Path(settings.db_url().removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE veil_ledger_leaves SET data = ? WHERE idx = 4", (b"{}",))
    bad = _poll(aud, aud.post("/api/v1/audit/verify").json()["job_id"])
    assert bad["state"] == "done" and bad["result"]["ok"] is False
    assert any("leaf 4" in p for p in bad["result"]["problems"])
    assert aud.get("/api/v1/audit/verify/" + "0" * 32).status_code == 404


def test_monitor_reports_the_cli_monitors_findings(app: FastAPI) -> None:
    ledger = app.state.veil.ledger()
    who = ledger.pseudonym("subject-x")
    ledger.append_many([make_event(0), make_event(1, action="identify", subject=who)])
    aud = login(app, "aud", "auditor")
    got = aud.get("/api/v1/audit/monitor").json()
    want = monitor_ledger(ledger).as_dict()
    assert got["ok"] is False and got["findings"] == want["findings"]
    rules = {(f["rule"], f["index"]) for f in got["findings"]}
    assert ("identify-without-consent", 1) in rules and ("no-checkpoint", None) in rules
    assert who not in json.dumps(got)  # findings name events, never the subject


def test_a_job_whose_process_died_reads_lost(app: FastAPI) -> None:
    from veil.service import jobs

    db = app.state.veil.db
    release = threading.Event()
    job = jobs.start_job(db, "verify", lambda progress: release.wait(10) and {"size": 0}, None)
    with db.transaction() as cur:  # as if its process died long ago: no heartbeat since
        cur.execute(f"UPDATE {jobs.TABLE} SET updated_at = 0 WHERE job_id = ?", (job.job_id,))
    aud = login(app, "aud", "auditor")
    assert aud.get(f"/api/v1/audit/verify/{job.job_id}").json()["state"] == "lost"
    release.set()  # a live job's next write revives it
    for _ in range(200):
        if aud.get(f"/api/v1/audit/verify/{job.job_id}").json()["state"] == "done":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the job never finished")


def test_a_failing_job_reports_its_error(app: FastAPI) -> None:
    from veil.service import jobs

    def work(progress: Any) -> dict[str, Any]:
        progress(1, 2)
        raise RuntimeError("the store went away")

    job = jobs.start_job(app.state.veil.db, "verify", work, None)
    got = _poll(login(app, "aud", "auditor"), job.job_id)
    assert got["state"] == "failed" and got["result"] == {"error": "the store went away"}
