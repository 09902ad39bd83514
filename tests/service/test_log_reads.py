"""The /log reads from memory: cached tiles and checkpoint answered before FastAPI's routing,
with the routes' headers, and never an entry bundle without the auditor check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI

from tests.ledger.ledger_helpers import make_event
from tests.service.conftest import bearer, client_for
from veil.service import ServiceSettings, create_app
from veil.service.log_reads import LogFastPath, LogReads
from veil.service.tokens import create_token

TILE = "/log/tile/0/000.p/5"
ENTRIES = "/log/tile/entries/000.p/5"


@pytest.fixture
def logged(settings: ServiceSettings) -> Iterator[FastAPI]:
    """An app whose log holds 5 events of one subject under one checkpoint."""
    app = create_app(settings)
    ledger = app.state.veil.ledger()
    who = ledger.pseudonym("subject-a")
    ledger.append_many(make_event(i, subject=who) for i in range(5))
    ledger.checkpoint()
    yield app
    app.state.veil.close()


def _no_database(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the fast path read the database")

    monkeypatch.setattr(app.state.veil_log_reads, "open_ledger", refuse)


def _same_headers(a: dict[str, str], b: dict[str, str]) -> None:
    skip = {"date"}
    assert {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }


def test_a_served_tile_is_served_again_from_memory_with_the_same_headers(
    logged: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = client_for(logged)
    first = c.get(TILE)
    assert first.status_code == 200 and len(first.content) == 5 * 32
    _no_database(logged, monkeypatch)
    again = c.get(TILE)
    assert again.status_code == 200 and again.content == first.content
    _same_headers(dict(first.headers), dict(again.headers))
    assert again.headers["content-security-policy"].startswith("default-src 'self'")
    assert again.headers["cache-control"] == "public, max-age=60"  # partial: not immutable


def test_the_checkpoint_is_cached_for_its_ttl_then_read_again(logged: FastAPI) -> None:
    now = [0.0]
    reads = LogReads(logged.state.veil.ledger, checkpoint_ttl_s=1.0, clock=lambda: now[0])
    assert reads.cached("checkpoint") is None  # never read yet
    first = reads.checkpoint()
    assert first is not None and reads.cached("checkpoint") == first
    ledger = logged.state.veil.ledger()
    ledger.append(make_event(9))
    ledger.checkpoint()
    now[0] = 0.5
    assert reads.cached("checkpoint") == first  # within the TTL: the note read before
    now[0] = 1.0
    assert reads.cached("checkpoint") is None  # stale: the route reads it again
    fresh = reads.checkpoint()
    assert fresh is not None and fresh.body.split(b"\n")[1] == b"6"


def test_https_answers_from_memory_carry_hsts(
    logged: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = client_for(logged, base_url="https://testserver")
    assert c.get("/log/checkpoint").status_code == 200
    _no_database(logged, monkeypatch)
    r = c.get("/log/checkpoint")
    assert r.status_code == 200 and r.text.splitlines()[1] == "5"
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in client_for(logged).get("/log/checkpoint").headers


def test_a_cached_entry_bundle_still_needs_an_auditor(logged: FastAPI) -> None:
    secret, _ = create_token(logged.state.veil.db, "auditor", "reader")
    auditor = bearer(logged, secret)
    bundle = auditor.get(ENTRIES)
    assert bundle.status_code == 200 and b"entrance monitoring" in bundle.content
    assert bundle.headers["cache-control"] == "private, no-store"
    assert ENTRIES[5:] in logged.state.veil_log_reads._tiles  # it is in memory now
    anon = client_for(logged).get(ENTRIES)
    assert anon.status_code == 401 and b"entrance" not in anon.content
    op_secret, _ = create_token(logged.state.veil.db, "operator", "op")
    assert bearer(logged, op_secret).get(ENTRIES).status_code == 403
    assert auditor.get(ENTRIES).content == bundle.content


def test_misses_bodies_and_other_methods_go_on_to_the_app(logged: FastAPI) -> None:
    c = client_for(logged)
    assert c.get("/log/tile/0/000.p/6").status_code == 404  # beyond the tree: the route says
    assert c.get("/log/tile/0/000.p/abc").status_code == 400
    assert c.get(TILE).status_code == 200
    assert c.head(TILE).status_code == 405  # as the routes answer it: only GET is answered
    assert c.post(TILE).status_code == 405  # the app's answer, not the cache's
    # a GET with a body is not answered from memory (the app's size limit sees it)
    big = c.request("GET", TILE, content=b"x" * (128 * 1024))
    assert big.status_code == 413


def test_the_fast_path_passes_on_what_it_cannot_answer(logged: FastAPI) -> None:
    seen: list[str] = []
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])

    async def send(message: Any) -> None:
        sent.append(message)

    reads = LogReads(logged.state.veil.ledger)
    reads.tile("tile/entries/000.p/5", lambda: b"secret events")  # cached, yet never served here
    reads.tile("tile/0/000.p/5", lambda: b"h" * 160)
    fast = LogFastPath(app, reads)
    paths = ["/log/checkpoint", "/log/tile/0/000", "/log/tile/entries/000.p/5", "/api/v1/x"]
    for path in [*paths, "/log/tile/0/000.p/5"]:
        scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        # a thread of its own: a page test earlier in the run may leave this thread's loop set
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, fast(scope, None, send)).result()
    assert seen == paths  # only the cached hash tile was answered
    assert [m.get("status") for m in sent] == [200, None] and sent[1]["body"] == b"h" * 160


def test_the_cache_is_bounded(logged: FastAPI) -> None:
    reads = LogReads(logged.state.veil.ledger, max_bytes=100)
    for i in range(5):
        reads.tile(f"tile/0/00{i}", lambda: b"y" * 40)
    assert reads.cached_bytes <= 100 and reads.cached("tile/0/004") is not None
    assert reads.cached("tile/0/000") is None  # the oldest went first
