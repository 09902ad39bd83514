"""``veil serve --demo``: it seeds a home, registers the deployment, prints URLs and credentials
for every role, and each printed credential works against the app on that home."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.service.conftest import bearer, client_for
from tests.service.test_serve_cli import veil
from veil.service import create_app
from veil.service.demo_serve import DemoWorld, demo_banner, prepare_demo


def _printed(text: str) -> dict[str, tuple[str, str]]:
    """role -> (name, secret) as the banner prints them."""
    found = {m[1]: (m[2], m[3]) for m in re.finditer(r"(\w+)\s+name (\S+)\s+password (\S+)", text)}
    person = re.search(r"person \((\S+)\): send 'Authorization: Bearer (vp_\S+)'", text)
    assert person is not None
    found["person"] = (person[1], person[2])
    return found


def test_demo_seeds_and_every_printed_credential_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEIL_MASTER_KEY", raising=False)
    monkeypatch.setenv("VEIL_MASTER_KEY_FILE", str(tmp_path / "home" / "master.key"))
    world = prepare_demo(tmp_path / "home", events=20, enroll_sample=False)
    text = demo_banner(world, "http://127.0.0.1:8000")
    assert "/api/v1/public/deployments/sales-office" in text
    creds = _printed(text)
    assert set(creds) == {"operator", "auditor", "admin", "person"}
    app = create_app(world.settings)
    try:
        public = client_for(app).get("/api/v1/public/deployments/sales-office")
        assert public.status_code == 200 and public.json()["notice"]["checkpoint"] is not None
        for role in ("operator", "auditor", "admin"):
            name, password = creds[role]
            c = client_for(app)
            r = c.post("/api/v1/auth/login", json={"name": name, "password": password})
            assert r.status_code == 200 and r.json()["role"] == role
        person = bearer(app, creds["person"][1])
        (consent,) = person.get("/api/v1/me/consents").json()
        assert consent["subject"] == world.person_subject == creds["person"][0]
        assert person.get("/api/v1/me/trace").json()["entries"]
    finally:
        app.state.veil.close()


def test_serve_demo_prints_then_serves_and_deletes_its_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VEIL_MASTER_KEY", raising=False)
    monkeypatch.setenv("VEIL_MASTER_KEY_FILE", "restored-after-the-test")
    made: list[DemoWorld] = []
    served: list[object] = []

    def fake_prepare(**kw: object) -> DemoWorld:
        world = prepare_demo(tmp_path / "demo", events=10, enroll_sample=False, **kw)  # type: ignore[arg-type]
        made.append(world)
        return world

    monkeypatch.setattr("veil.service.demo_serve.prepare_demo", fake_prepare)
    monkeypatch.setattr("veil.service.app.serve", served.append)
    code, out, err = veil(capsys, "serve", "--demo", "--port", "8123")
    assert code == 0, err
    assert "http://127.0.0.1:8123/api/v1/public/deployments/sales-office" in out
    assert set(_printed(out)) == {"operator", "auditor", "admin", "person"}
    assert len(served) == 1 and served[0].port == 8123  # type: ignore[attr-defined]
    assert not made[0].seed.home.exists()  # the temporary home is gone after serving


def test_serve_demo_refuses_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = veil(capsys, "serve", "--demo", "--db", f"sqlite:///{tmp_path}/x")
    assert code == 2 and "--demo" in err and "Traceback" not in err
