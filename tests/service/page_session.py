"""Signed-in page clients for the console and auditor page tests: an account, a session and the
page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.service.api_world import World
from tests.service.conftest import PASSWORD, client_for
from veil.service.accounts import add_account

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(c: TestClient, path: str) -> str:
    """The CSRF token of the form on the page at `path`."""
    found = CSRF.search(c.get(path).text)
    assert found is not None, path
    return found.group(1)


def signed_in(world: World, name: str, role: str = "operator") -> tuple[TestClient, str]:
    """A client signed in as a new account `name` with `role`, and its home page's CSRF token."""
    add_account(world.app.state.veil.db, name, role, PASSWORD)
    c = client_for(world.app)
    token = form_token(c, "/console/login")
    r = c.post("/console/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200, r.text
    home = "/audit-ui" if role == "auditor" else "/console"
    return c, form_token(c, home)
