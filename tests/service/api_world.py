"""A small seeded world for the API tests: the demo office (no enrollment, few events) served by
an app, its deployment registered, and clients for an operator, an auditor and two persons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.service.conftest import bearer, client_for, login
from veil.service import ServiceSettings, create_app
from veil.service.demo import CONTROLLER, DEPLOYMENT, NOTICE, DemoSeed, seed_demo
from veil.service.tokens import create_person_link

SITE = "sales-office"


@dataclass
class World:
    app: FastAPI
    seed: DemoSeed
    operator: TestClient
    auditor: TestClient
    anonymous: TestClient
    person_a: TestClient  # visitor-001 (consent given)
    person_b: TestClient  # visitor-002 (consent given)
    subject_a: str  # A's pseudonym
    subject_b: str


def register_site(operator: TestClient) -> dict[str, object]:
    """Register the demo deployment through the operator API; the response body."""
    r = operator.post(
        "/api/v1/operator/deployments",
        json={
            "name": SITE, "controller": CONTROLLER, "notice_version": "2026-11",
            "notice_text": NOTICE.decode(), "content": yaml.safe_dump(DEPLOYMENT),
        },
    )  # fmt: skip
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.delenv("VEIL_MASTER_KEY", raising=False)
    monkeypatch.delenv("VEIL_MASTER_KEY_FILE", raising=False)
    seed = seed_demo(tmp_path / "home", events=12, enroll_sample=False)
    app = create_app(ServiceSettings(home=seed.home))
    ledger = app.state.veil.ledger()
    a, b = (ledger.pseudonym(s) for s in seed.subjects[:2])
    link_a, _ = create_person_link(app.state.veil.db, a, 3600)
    link_b, _ = create_person_link(app.state.veil.db, b, 3600)
    w = World(
        app, seed, login(app, "op", "operator"), login(app, "aud", "auditor"), client_for(app),
        bearer(app, link_a), bearer(app, link_b), a, b,
    )  # fmt: skip
    register_site(w.operator)
    yield w
    app.state.veil.close()
