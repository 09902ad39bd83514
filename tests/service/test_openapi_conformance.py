"""The OpenAPI document holds: every route called as every role answers without a 500, and every
JSON answer matches the schema /openapi.json declares for it (errors: ``{"detail": ...}``). Query
and path parameters of the audit routes are fuzzed with hypothesis (huge and negative numbers)."""

from __future__ import annotations

import string
from typing import Any

import jsonschema
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.access import ACCESS, ROLES
from tests.service.test_role_matrix import _call, _fill, world  # noqa: F401  (the fixture)
from veil.service.routers.pages_errors import PAGE_PREFIXES

World = tuple[FastAPI, dict[str, TestClient], dict[str, str]]
ERROR = {"type": "object", "required": ["detail"], "properties": {"detail": {}}}


def _check(doc: dict[str, Any], method: str, path: str, r: Any) -> str | None:
    """Why response ``r`` does not match the document, or None."""
    if r.status_code >= 500:
        return f"{r.status_code} {r.text[:100]}"
    if not r.headers.get("content-type", "").startswith("application/json"):
        return None
    if path not in doc["paths"]:  # the HTML pages and their downloads are not the API
        return None
    op = doc["paths"][path][method.lower()]
    declared = op["responses"].get(str(r.status_code))
    schema: Any = ERROR if r.status_code >= 400 else {}
    if declared is not None:
        schema = declared.get("content", {}).get("application/json", {}).get("schema", schema)
    elif r.status_code < 400:
        return f"undeclared status {r.status_code}"
    try:
        jsonschema.validate(r.json(), {**schema, "components": doc["components"]})
    except jsonschema.ValidationError as exc:
        return f"{r.status_code}: {exc.message[:120]}"
    return None


def test_every_answer_matches_the_openapi_document(world: World) -> None:  # noqa: F811
    _, clients, values = world
    doc = clients["anonymous"].get("/openapi.json").json()
    wrong = []
    for key, access in sorted(ACCESS.items(), key=lambda kv: kv[1].ends_session):
        method, path = key.split(" ", 1)
        if path == "/openapi.json":
            continue
        for role in ROLES:
            r = _call(clients[role], method, _fill(access.path or path, values), access, values)
            why = _check(doc, method, path, r)
            if why:
                wrong.append(f"{key} as {role}: {why}")
    assert wrong == []


def test_every_api_route_is_documented_and_no_page_is(world: World) -> None:  # noqa: F811
    """_check skips paths outside the document: only pages and the C2SP protocols may be."""
    _, clients, _ = world
    documented = set(clients["anonymous"].get("/openapi.json").json()["paths"])
    paths = {key.split(" ", 1)[1] for key in ACCESS}
    assert {p for p in paths if p.startswith("/api/")} <= documented
    pages = {p for p in paths if p.startswith(PAGE_PREFIXES)}
    assert pages and not pages & documented


WORDS = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=8)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**80), WORDS)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=NUMBERS, b=NUMBERS)
def test_fuzzed_audit_parameters_never_fail_the_server(world: World, a: Any, b: Any) -> None:  # noqa: F811
    _, clients, _ = world
    c = clients["auditor"]
    doc = c.get("/openapi.json").json()
    calls = [
        ("/api/v1/audit/entries", {"start": a, "limit": b}),
        ("/api/v1/audit/export", {"size": a}),
        ("/api/v1/audit/checkpoints", {"start": a, "limit": b}),
        ("/api/v1/audit/consistency", {"old": a, "new": b}),
    ]
    for path, params in calls:
        why = _check(doc, "GET", path, c.get(path, params=params))
        assert why is None, f"{path} {params}: {why}"
    why = _check(doc, "GET", "/api/v1/audit/checkpoints/{checkpoint_id}",
                 c.get(f"/api/v1/audit/checkpoints/{a}"))  # fmt: skip
    assert why is None, f"checkpoint {a!r}: {why}"
    why = _check(doc, "GET", "/api/v1/audit/verify/{job_id}", c.get(f"/api/v1/audit/verify/{a}x"))
    assert why is None, f"job {a!r}: {why}"
