"""The auth API over HTTP: login, cookies, CSRF, tokens, person links, headers and size limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.service.conftest import PASSWORD, bearer, client_for, login
from veil.service import ServiceSettings, create_app
from veil.service.accounts import add_account
from veil.service.middleware import CSP
from veil.service.tokens import create_person_link, create_token, revoke_person_link

LOGIN = "/api/v1/auth/login"
TOKENS = "/api/v1/auth/tokens"


def _cookie_attrs(headers: list[str], name: str) -> list[str]:
    for h in headers:
        if h.startswith(name + "="):
            return [p.strip().lower() for p in h.split(";")[1:]]
    raise AssertionError(f"no {name} cookie in {headers}")


def test_login_ok_sets_a_strict_httponly_session_and_a_csrf_token(app: FastAPI) -> None:
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(app)
    r = c.post(LOGIN, json={"name": "olga", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "operator" and body["name"] == "olga" and len(body["csrf_token"]) >= 32
    cookies = r.headers.get_list("set-cookie")
    session = _cookie_attrs(cookies, "veil_session")
    assert "httponly" in session and "samesite=strict" in session and "secure" not in session
    assert "httponly" not in _cookie_attrs(cookies, "veil_csrf")
    assert c.get("/api/v1/auth/whoami").json()["role"] == "operator"


def test_login_over_https_sets_secure_cookies(app: FastAPI) -> None:
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(app, "https://testserver")
    r = c.post(LOGIN, json={"name": "olga", "password": PASSWORD})
    assert r.status_code == 200
    for name in ("veil_session", "veil_csrf"):
        assert "secure" in _cookie_attrs(r.headers.get_list("set-cookie"), name)
    assert r.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(("peer", "secure"), [("10.0.0.5", True), ("10.0.0.6", False)])
def test_forwarded_https_is_believed_only_from_a_trusted_proxy(
    settings: ServiceSettings, peer: str, secure: bool
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": ("10.0.0.5/32",)}))
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = TestClient(app, client=(peer, 50000))
    r = c.post(
        LOGIN, json={"name": "olga", "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert r.status_code == 200
    assert ("secure" in _cookie_attrs(r.headers.get_list("set-cookie"), "veil_session")) == secure
    app.state.veil.close()


def test_bad_login_is_401_and_the_rate_limit_then_refuses_even_the_right_password(
    app: FastAPI,
) -> None:
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(app)
    for _ in range(app.state.veil.settings.login_max_failures):
        assert c.post(LOGIN, json={"name": "olga", "password": "wrong password"}).status_code == 401
    r = c.post(LOGIN, json={"name": "olga", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "veil_session" not in r.headers.get("set-cookie", "")
    # another account from the same address is not locked out
    add_account(app.state.veil.db, "otto", "operator", PASSWORD)
    assert c.post(LOGIN, json={"name": "otto", "password": PASSWORD}).status_code == 200


def test_login_accepts_a_form_and_unknown_accounts_are_401(app: FastAPI) -> None:
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(app)
    assert c.post(LOGIN, data={"name": "olga", "password": PASSWORD}).status_code == 200
    assert c.post(LOGIN, data={"name": "nobody", "password": PASSWORD}).status_code == 401
    assert (
        c.post(
            LOGIN, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_a_login_form_posted_from_another_site_is_refused(app: FastAPI) -> None:
    add_account(app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(app)
    body = {"name": "olga", "password": PASSWORD}
    r = c.post(LOGIN, data=body, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "veil_session" not in r.headers.get("set-cookie", "")
    assert c.post(LOGIN, data=body, headers={"Origin": "http://testserver"}).status_code == 200


def test_the_app_runs_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    app = create_app(ServiceSettings(home=tmp_path / "home", db=pg_url))
    try:
        admin = login(app, "ada", "admin")
        made = admin.post(TOKENS, json={"role": "auditor", "label": "ci"}).json()
        assert bearer(app, made["token"]).get("/api/v1/auth/whoami").json()["role"] == "auditor"
        assert admin.delete(f"{TOKENS}/{made['token_id']}").status_code == 204
        assert bearer(app, made["token"]).get("/api/v1/auth/whoami").status_code == 401
        assert not (tmp_path / "home" / "veil.db").exists()
    finally:
        app.state.veil.close()


def test_cookie_posts_need_the_csrf_token_as_header_or_form_field(app: FastAPI) -> None:
    c = login(app, "ada", "admin")
    csrf = c.headers.pop("X-CSRF-Token")
    body = {"role": "auditor", "label": "ci"}
    assert c.post(TOKENS, json=body).status_code == 403
    assert c.post(TOKENS, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.post(TOKENS, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # a form post: the token in the csrf_token field (the logout route takes a form)
    assert c.post("/api/v1/auth/logout", data={"csrf_token": "forged"}).status_code == 403
    assert c.get("/api/v1/auth/whoami").json()["role"] == "admin"
    assert c.post("/api/v1/auth/logout", data={"csrf_token": csrf}).status_code == 204
    assert c.get("/api/v1/auth/whoami").json()["role"] == "anonymous"


def test_bearer_tokens_need_no_csrf_and_are_scoped_to_their_role(app: FastAPI) -> None:
    secret, _ = create_token(app.state.veil.db, "operator", "robot")
    c = bearer(app, secret)
    who = c.get("/api/v1/auth/whoami").json()
    assert who["role"] == "operator" and who["account"].startswith("token-")
    r = c.post("/api/v1/auth/person-links", json={"subject_id": "s-1"})
    assert r.status_code == 201  # a POST with no CSRF token: fine for a bearer token
    assert c.post(TOKENS, json={"role": "operator", "label": "x"}).status_code == 403  # not admin


def test_token_revocation_is_effective_at_once(app: FastAPI) -> None:
    admin = login(app, "ada", "admin")
    made = admin.post(TOKENS, json={"role": "auditor", "label": "ci"}).json()
    robot = bearer(app, made["token"])
    assert robot.get("/api/v1/auth/whoami").json()["role"] == "auditor"
    listed = admin.get(TOKENS).json()
    assert [t["token_id"] for t in listed] == [made["token_id"]] and "token" not in listed[0]
    assert admin.delete(f"{TOKENS}/{made['token_id']}").status_code == 204
    assert robot.get("/api/v1/auth/whoami").status_code == 401
    assert admin.delete(f"{TOKENS}/{made['token_id']}").status_code == 404
    assert admin.get(TOKENS).json()[0]["revoked_at"] is not None


def test_unknown_or_malformed_bearer_credentials_are_refused_not_anonymous(app: FastAPI) -> None:
    for value in ("Bearer vt_nope", "Bearer vp_nope", "Bearer ", "Basic abc"):
        r = client_for(app).get("/api/v1/auth/whoami", headers={"Authorization": value})
        assert r.status_code == 401, value


def test_expired_and_revoked_person_links_are_denied(app: FastAPI) -> None:
    db = app.state.veil.db
    subject = app.state.veil.ledger().pseudonym("s-1")
    live, _ = create_person_link(db, subject, 3600)
    short, _ = create_person_link(db, subject, 1)
    revoked, link = create_person_link(db, subject, 3600)
    assert revoke_person_link(db, link.link_id)
    assert bearer(app, live).get("/api/v1/auth/whoami").json()["subject"] == subject
    assert bearer(app, revoked).get("/api/v1/auth/whoami").status_code == 401
    time.sleep(1.1)
    assert bearer(app, short).get("/api/v1/auth/whoami").status_code == 401


def test_operators_make_links_bound_to_the_ledger_pseudonym(app: FastAPI) -> None:
    op = login(app, "olga", "operator")
    made = op.post("/api/v1/auth/person-links", json={"subject_id": "s-1", "ttl_s": 60}).json()
    pseudonym = app.state.veil.ledger().pseudonym("s-1")
    assert made["subject"] == pseudonym and made["link"].startswith("vp_")
    assert bearer(app, made["link"]).get("/api/v1/auth/whoami").json()["subject"] == pseudonym
    listed = op.get("/api/v1/auth/person-links", params={"subject_id": "s-1"}).json()
    assert [x["link_id"] for x in listed] == [made["link_id"]] and "link" not in listed[0]
    assert op.delete(f"/api/v1/auth/person-links/{made['link_id']}").status_code == 204
    assert bearer(app, made["link"]).get("/api/v1/auth/whoami").status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/healthz"), ("GET", "/nowhere"), ("GET", "/openapi.json"), ("POST", LOGIN),
     ("GET", TOKENS), ("GET", "/log/checkpoint"), ("GET", "/log/tile/entries/000")],
)  # fmt: skip
def test_security_headers_on_every_response(app: FastAPI, method: str, path: str) -> None:
    r = client_for(app).request(method, path)
    assert r.headers["content-security-policy"] == CSP and "'unsafe-inline'" not in CSP
    assert "frame-ancestors 'none'" in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


def test_bodies_over_the_limit_get_413_declared_or_streamed(app: FastAPI) -> None:
    limit = app.state.veil.settings.max_upload_bytes
    c = client_for(app)
    r = c.post(LOGIN, content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["x-frame-options"] == "DENY"

    def chunks() -> object:  # no Content-Length: chunked transfer
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    r = c.post(LOGIN, content=chunks(), headers={"content-type": "application/json"})  # type: ignore[arg-type]
    assert r.status_code == 413
    ok = c.post(LOGIN, json={"name": "x" * 10, "password": "y" * (limit // 2)})
    assert ok.status_code == 422  # under the limit: read, then refused as too long a password


def test_interactive_docs_are_veils_own_and_openapi_is_served(app: FastAPI) -> None:
    c = client_for(app)
    docs = c.get("/docs")  # Veil's page (tests/service/test_api_docs.py), not FastAPI's CDN one
    assert docs.status_code == 200 and "cdn" not in docs.text and "<script>" not in docs.text
    assert c.get("/redoc").status_code == 404
    spec = c.get("/openapi.json").json()
    assert "/api/v1/auth/login" in spec["paths"] and "/log/checkpoint" in spec["paths"]
