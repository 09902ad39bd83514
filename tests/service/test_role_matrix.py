"""Every route of the app, called as every role: allowed or denied exactly as tests/service/access.py
says, and no route exists that the table does not list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ledger.ledger_helpers import make_event
from tests.service.access import ACCESS, ROLES, Access
from tests.service.conftest import PASSWORD, bearer, client_for, login
from veil.ledger.witness import Witness
from veil.service import ServiceSettings, create_app
from veil.service.accounts import add_account
from veil.service.state import ServiceState
from veil.service.tokens import create_person_link, create_token


def declared_routes(app: FastAPI) -> set[str]:
    """``"METHOD /path"`` for every route the app serves (HEAD aside), included routers too."""
    out: set[str] = set()

    def add(path: str, methods: Any) -> None:
        for m in methods or ():
            if m != "HEAD":
                out.add(f"{m} {path}")

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI >= 0.13x keeps included routers as one entry
            for ctx in contexts():
                add(ctx.path, getattr(ctx.original_route, "methods", None))
        else:
            add(getattr(route, "path", "?"), getattr(route, "methods", None))
    return out


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FastAPI, dict[str, TestClient], dict[str, str]]]:
    """An app with a witness, a small checkpointed log of person A's events, and a client per role."""
    witness = Witness.create(tmp_path / "witness", "witness.test.example")
    settings = ServiceSettings(home=tmp_path / "home", witness_home=witness.folder)
    app = create_app(settings)
    state = app.state.veil
    ledger = state.ledger()
    subject_a = ledger.pseudonym("subject-a")
    ledger.append_many(make_event(i, subject=subject_a) for i in range(3))
    ledger.checkpoint()
    add_account(state.db, "matrix-login", "operator", PASSWORD)
    link_a, _ = create_person_link(state.db, subject_a, 3600)
    link_b, _ = create_person_link(state.db, ledger.pseudonym("subject-b"), 3600)
    op_token, _ = create_token(state.db, "operator", "matrix")
    aud_token, _ = create_token(state.db, "auditor", "matrix")
    clients = {
        "anonymous": client_for(app),
        "person_a": bearer(app, link_a),
        "person_b": bearer(app, link_b),
        "operator": login(app, "op", "operator"),
        "auditor": login(app, "aud", "auditor"),
        "admin": login(app, "adm", "admin"),
        "operator_token": bearer(app, op_token),
        "auditor_token": bearer(app, aud_token),
    }
    values = {
        "subject_a_id": "subject-a",
        "subject_a": subject_a,
        "entries_tile": "/log/tile/entries/000.p/3",
        "record_a": _person_a_consent(state),
    }
    yield app, clients, values
    state.close()


def _person_a_consent(state: ServiceState) -> str:
    """Register the deployment ``matrix-site`` and record person A's consent; its record id."""
    from veil.consent.receipts import give_consent
    from veil.service.demo import DEPLOYMENT
    from veil.service.deployments import DeploymentInfo, register_deployment
    from veil.service.people import open_registry

    info = DeploymentInfo(
        name="matrix-site", controller="Matrix Ltd", notice_version="1", notice_text="notice"
    )
    register_deployment(state.settings.veil_home(), info, yaml.safe_dump(DEPLOYMENT).encode())
    with open_registry(state) as registry:
        registry.declare_purpose("visitor-count")
        receipt = give_consent(
            registry, subject="subject-a", controller="Matrix Ltd", purposes=["visitor-count"],
            notice_version="1", notice_digest=info.notice_digest, collection_method="form",
        )  # fmt: skip
    return receipt.record_id


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def test_every_route_is_in_the_access_table(
    world: tuple[FastAPI, dict[str, TestClient], dict[str, str]],
) -> None:
    app = world[0]
    routes = declared_routes(app)
    assert routes - ACCESS.keys() == set(), "routes missing from tests/service/access.py"
    assert ACCESS.keys() - routes == set(), "access.py lists routes the app does not serve"


def test_every_route_as_every_role(
    world: tuple[FastAPI, dict[str, TestClient], dict[str, str]],
) -> None:
    _, clients, values = world
    order = sorted(ACCESS.items(), key=lambda kv: kv[1].ends_session)
    wrong: list[str] = []
    for key, access in order:
        method, path = key.split(" ", 1)
        url = _fill(access.path or path, values)
        for role in ROLES:
            r = _call(clients[role], method, url, access, values)
            if r.status_code >= 500:
                wrong.append(f"{key} as {role}: {r.status_code} {r.text[:80]}")
            elif role in access.allowed:
                if r.status_code in (401, 403):
                    wrong.append(f"{key} as {role}: denied {r.status_code}, should be allowed")
            else:
                want = access.deny_status.get(role, 401 if role == "anonymous" else 403)
                if r.status_code != want:
                    wrong.append(f"{key} as {role}: {r.status_code}, should be denied {want}")
    assert wrong == [], "\n".join(wrong)


def _call(c: TestClient, method: str, url: str, access: Access, values: dict[str, str]) -> Any:
    """One request; the client's cookies are put back afterwards (a login must not turn the
    anonymous client into someone)."""
    saved = dict(c.cookies)
    try:
        if access.content is not None:
            return c.request(method, url, content=access.content)
        if access.json is not None:
            return c.request(method, url, json=_fill(access.json, values))
        return c.request(method, url)
    finally:
        c.cookies.clear()
        for name, value in saved.items():
            c.cookies.set(name, value)


def test_an_anonymous_client_gets_no_event(
    world: tuple[FastAPI, dict[str, TestClient], dict[str, str]],
) -> None:
    _, clients, values = world
    anon = clients["anonymous"]
    for path in (values["entries_tile"], "/log/tile/entries/000", "/log/tile/entries/x000/000"):
        r = anon.get(path)
        assert r.status_code == 401 and b"entrance monitoring" not in r.content
    assert clients["auditor"].get(values["entries_tile"]).content.count(b"entrance monitoring") == 3
    assert b"entrance monitoring" not in anon.get("/log/tile/0/000.p/3").content


def test_a_person_link_names_only_its_own_subject(
    world: tuple[FastAPI, dict[str, TestClient], dict[str, str]],
) -> None:
    _, clients, values = world
    a = clients["person_a"].get("/api/v1/auth/whoami").json()
    b = clients["person_b"].get("/api/v1/auth/whoami").json()
    assert a["role"] == b["role"] == "person"
    assert a["subject"] == values["subject_a"] and b["subject"] != values["subject_a"]
