"""Fixtures for the service tests: an app on a fresh home, accounts, and clients for each role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from veil.service import ServiceSettings, create_app
from veil.service.accounts import add_account

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords at a low argon2id cost (verification follows each hash's own cost);
    test_accounts checks the production cost."""
    from veil.service import accounts

    monkeypatch.setattr(accounts, "ARGON2_ITERATIONS", 1)
    monkeypatch.setattr(accounts, "ARGON2_MEMORY_KIB", 8192)


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    """Settings on a fresh home (embedded SQLite), with a small upload limit."""
    return ServiceSettings(home=tmp_path / "home", max_upload_bytes=64 * 1024)


@pytest.fixture
def app(settings: ServiceSettings) -> Iterator[FastAPI]:
    """The service app; its connections are closed afterwards."""
    application = create_app(settings)
    yield application
    application.state.veil.close()


def client_for(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    """A test client that returns 500s instead of raising."""
    return TestClient(app, base_url=base_url, raise_server_exceptions=False)


def login(app: FastAPI, name: str, role: str, base_url: str = "http://testserver") -> TestClient:
    """A client holding a session of a new account ``name`` with ``role``; the CSRF token is
    sent on every request, as a page's script would."""
    add_account(app.state.veil.db, name, role, PASSWORD)
    c = client_for(app, base_url)
    r = c.post("/api/v1/auth/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def bearer(app: FastAPI, secret: str) -> TestClient:
    """A client that sends ``secret`` as a bearer credential."""
    c = client_for(app)
    c.headers["Authorization"] = f"Bearer {secret}"
    return c
