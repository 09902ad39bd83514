"""The auditor's pages beyond the history: two checkpoints picked for a consistency check (the
page names them; the browser fetches and checks them), and ``verify`` as a job whose page shows
its progress and result (and refreshes itself without script)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.page_session import signed_in
from veil.errors import VeilError
from veil.service import jobs
from veil.service.routers import pages_audit


def _checkpoint_ids(world: World) -> list[int]:
    ledger = world.app.state.veil.ledger()
    ledger.checkpoint([])
    return [cp.id for cp in ledger.checkpoints()]


def test_two_picked_checkpoints_are_named_for_the_browser_in_size_order(world: World) -> None:
    c, _ = signed_in(world, "audrey", "auditor")
    ids = _checkpoint_ids(world)
    assert len(ids) >= 2
    page = c.get("/audit-ui").text
    assert 'action="/audit-ui/consistency"' in page and 'name="old"' in page
    newest, oldest = ids[-1], ids[0]
    pair = c.get(f"/audit-ui/consistency?old={newest}&new={oldest}")  # either order
    assert pair.status_code == 200
    assert f'data-old-id="{oldest}" data-new-id="{newest}"' in pair.text
    assert "script-src 'self'" in pair.headers["content-security-policy"]
    assert c.get(f"/audit-ui/consistency?old={oldest}&new=999999").status_code == 404
    assert c.get("/audit-ui/consistency?old=-1&new=1").status_code == 422


def test_the_operator_cannot_open_the_auditors_pages(world: World) -> None:
    c, csrf = signed_in(world, "olga")
    assert c.get("/audit-ui/consistency?old=1&new=2").status_code == 403
    assert c.post("/audit-ui/verify", data={"csrf_token": csrf}).status_code == 403


def test_a_verify_job_runs_and_its_page_shows_progress_then_the_result(world: World) -> None:
    c, csrf = signed_in(world, "audrey", "auditor")
    assert c.post("/audit-ui/verify", data={}).status_code == 403  # no CSRF token
    r = c.post("/audit-ui/verify", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    job_id = url.rsplit("/", 1)[-1]
    assert re.fullmatch(r"/audit-ui/verify/[0-9a-f]{32}", url)
    deadline = time.monotonic() + 30
    while True:
        page = c.get(url).text
        if 'data-job-state="running"' not in page or time.monotonic() > deadline:
            break
        assert '<meta http-equiv="refresh"' in page and "verify-job.js" in page
        time.sleep(0.2)
    size = world.app.state.veil.ledger().head().size
    assert 'data-job-state="done"' in page and 'data-state="verified"' in page
    assert f'<progress id="job-progress" max="{size}" value="{size}"' in page
    assert f"<td data-result-size>{size}</td>" in page
    assert "<td data-result-problems>0</td>" in page
    assert '<meta http-equiv="refresh"' not in page  # a finished job stops refreshing
    api = c.get(f"/api/v1/audit/verify/{job_id}").json()
    assert api["state"] == "done" and api["result"]["ok"] is True
    assert c.get("/audit-ui/verify/" + "0" * 32).status_code == 404


def _wait_for(c: TestClient, url: str, text: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        page = c.get(url).text
        if text in page or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_the_progress_bar_shows_the_jobs_progress_and_a_failure_its_reason(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(db_url: str, key_dir: Any) -> jobs.Work:
        def work(progress: Callable[[int, int], None]) -> dict[str, Any]:
            progress(5, 20)
            release.wait(20)
            raise VeilError("the store went away")

        return work

    monkeypatch.setattr(pages_audit, "verify_work", slow)
    c, csrf = signed_in(world, "audrey", "auditor")
    url = c.post("/audit-ui/verify", data={"csrf_token": csrf}, follow_redirects=False).headers[
        "location"
    ]
    page = _wait_for(c, url, 'max="20" value="5"')
    assert '<progress id="job-progress" max="20" value="5"' in page
    assert "5 of 20 entries" in page and '<meta http-equiv="refresh"' in page
    release.set()
    page = _wait_for(c, url, 'data-job-state="failed"')
    assert 'data-job-state="failed"' in page and 'data-state="failed"' in page
    assert '<p lang="en" data-job-error>the store went away</p>' in page
