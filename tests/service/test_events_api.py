"""POST /api/v1/events: strict batches, one transaction, durable before the answer, and the
witnessing schedule woken after each batch."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ledger.ledger_helpers import make_event
from tests.service.conftest import bearer, client_for
from veil.ledger import Ledger
from veil.service import ServiceSettings, create_app
from veil.service.routers.events import MAX_BATCH
from veil.service.tokens import create_token


def _events(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [json.loads(make_event(start + i).canonical()) for i in range(n)]


def _operator(app: FastAPI) -> TestClient:
    secret, _ = create_token(app.state.veil.db, "operator", "ingest")
    return bearer(app, secret)


def test_a_batch_is_appended_in_order_and_durable_before_the_answer(
    app: FastAPI, settings: ServiceSettings
) -> None:
    c = _operator(app)
    sent = _events(50)
    r = c.post("/api/v1/events", json={"events": sent})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["indexes"] == list(range(50)) and body["first"] == 0 and body["size"] == 50
    # another connection (as another process would) sees every acknowledged event
    with Ledger.open(settings.db_url(), settings.key_dir(), create=False) as other:
        assert other.head().size == 50
        assert [json.loads(leaf.data)["id"] for leaf in other.log.iter_leaves()] == [
            e["id"] for e in sent
        ]
    more = c.post("/api/v1/events", json={"events": _events(2, 50)}).json()
    assert more["indexes"] == [50, 51]


def test_events_are_strict_and_a_bad_batch_appends_nothing(app: FastAPI) -> None:
    c = _operator(app)
    good = _events(3)
    extra = [*good[:2], {**good[2], "note": "free text"}]
    assert c.post("/api/v1/events", json={"events": extra}).status_code == 422
    email = [*good[:2], {**good[2], "purpose": "mail ada@example.com"}]
    assert c.post("/api/v1/events", json={"events": email}).status_code == 422
    assert c.post("/api/v1/events", json={"events": []}).status_code == 422
    assert c.post("/api/v1/events", json={"events": good, "x": 1}).status_code == 422
    assert app.state.veil.ledger().head().size == 0
    assert c.post("/api/v1/events", json={"events": good[:1]}).status_code == 200
    r = c.post("/api/v1/events", json={"events": good})  # holds an event already logged
    assert r.status_code == 409 and app.state.veil.ledger().head().size == 1


def test_a_batch_over_the_limit_is_refused(settings: ServiceSettings) -> None:
    big = settings.model_copy(update={"max_upload_bytes": 64 * 1024 * 1024})
    app = create_app(big)
    try:
        one = _events(1)[0]
        many = [{**one, "id": make_event(0).id} for _ in range(MAX_BATCH + 1)]
        r = _operator(app).post("/api/v1/events", json={"events": many})
        assert r.status_code == 422 and app.state.veil.ledger().head().size == 0
        assert "10000" in r.text  # refused for its length, before any event is looked at
    finally:
        app.state.veil.close()


def test_only_operators_may_ingest(app: FastAPI) -> None:
    secret, _ = create_token(app.state.veil.db, "auditor", "reader")
    assert (
        bearer(app, secret).post("/api/v1/events", json={"events": _events(1)}).status_code == 403
    )
    assert client_for(app).post("/api/v1/events", json={"events": _events(1)}).status_code == 401


def test_ingest_wakes_the_witnessing_schedule(settings: ServiceSettings) -> None:
    slow = settings.model_copy(update={"witness_interval_s": 3600})
    app = create_app(slow)
    secret, _ = create_token(app.state.veil.db, "operator", "ingest")
    with TestClient(app) as c:  # runs the lifespan: the schedule's thread starts
        c.headers["Authorization"] = f"Bearer {secret}"
        assert c.post("/api/v1/events", json={"events": _events(4)}).status_code == 200
        deadline = time.monotonic() + 10
        while (cp := app.state.veil.ledger().latest_checkpoint()) is None or cp.size < 4:
            assert time.monotonic() < deadline, "no checkpoint after the batch"
            time.sleep(0.05)
        assert c.get("/log/checkpoint").text.splitlines()[1] == "4"


def test_the_batch_is_read_strictly_from_its_bytes(app: FastAPI) -> None:
    c = _operator(app)
    one = _events(1)[0]
    # strict: JSON types are kept (a lax reading would take 0 for false)
    lax = c.post("/api/v1/events", json={"events": [{**one, "separate_consent": 0}]})
    assert lax.status_code == 422
    assert lax.json()["detail"][0]["loc"][:3] == ["body", "events", 0]
    bad_json = c.post(
        "/api/v1/events", content=b'{"events": [', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["type"] == "json_invalid"
    text = c.post(
        "/api/v1/events",
        content=json.dumps({"events": [one]}),
        headers={"Content-Type": "text/plain"},
    )
    assert text.status_code == 422  # only JSON bodies are read
    assert app.state.veil.ledger().head().size == 0
    assert c.post("/api/v1/events", json={"events": [one]}).status_code == 200


def test_the_openapi_document_still_declares_the_batch(app: FastAPI) -> None:
    doc = client_for(app).get("/openapi.json").json()
    body = doc["paths"]["/api/v1/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EventBatch")
    batch = doc["components"]["schemas"]["EventBatch"]
    assert batch["properties"]["events"]["maxItems"] == MAX_BATCH
    assert "Event" in doc["components"]["schemas"]
