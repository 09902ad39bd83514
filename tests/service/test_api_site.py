"""Deployment registration and camera files (checked before kept, private), upload limits, and
reads of the rights queue showing in the person's trace."""

from __future__ import annotations

import json
import stat

import yaml
from fastapi import FastAPI

from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from tests.service.conftest import login
from veil.service.demo import DEPLOYMENT


def test_a_deployment_is_checked_before_it_is_kept(world: World) -> None:
    base = {"controller": "X", "notice_version": "1", "notice_text": "t"}
    bad = {**base, "name": "broken", "content": "deployment: {scenario: moon}\n"}
    r = world.operator.post("/api/v1/operator/deployments", json=bad)
    assert r.status_code == 400 and str(world.seed.home) not in r.json()["detail"]
    names = {**base, "name": "../escape", "content": yaml.safe_dump(DEPLOYMENT)}
    assert world.operator.post("/api/v1/operator/deployments", json=names).status_code == 422
    listed = [d["name"] for d in world.operator.get("/api/v1/operator/deployments").json()]
    assert listed == [SITE]
    assert [d["name"] for d in world.anonymous.get("/api/v1/public/deployments").json()] == [SITE]
    folder = world.seed.home / "deployments"
    assert sorted(p.name for p in folder.iterdir()) == [f"{SITE}.json", f"{SITE}.yaml"]
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_camera_registrations_are_private(world: World) -> None:
    body = {"name": "entrance", "health_url": "http://127.0.0.1:9/health"}
    assert world.operator.post("/api/v1/operator/cameras", json=body).status_code == 201
    assert stat.S_IMODE((world.seed.home / "cameras.json").stat().st_mode) == 0o600


def test_the_rights_queue_read_shows_in_the_trace(world: World) -> None:
    world.person_a.post("/api/v1/me/rights", json={"kind": "access"})
    admin = login(world.app, "adm", "admin")
    assert admin.get("/api/v1/operator/rights").status_code == 200
    trace = world.person_a.get("/api/v1/me/trace").json()
    systems = [e["event"]["system"] for e in trace["entries"] + trace["pending"]]
    assert systems.count("veil-service/admin") == 1
    other = world.person_b.get("/api/v1/me/trace").json()
    assert "veil-service/admin" not in [e["event"]["system"] for e in other["pending"]]


def test_an_upload_over_the_limit_is_413(app: FastAPI) -> None:
    op = login(app, "op", "operator")  # the app of conftest: 64 KiB limit
    big = b"\xff\xd8" + b"0" * (65 * 1024)
    r = op.post("/api/v1/operator/enrollments?subject_id=s&purpose=p", content=big)
    assert r.status_code == 413
    r = op.post("/api/v1/operator/checks/apk?app_type=1", content=big)
    assert r.status_code == 413


def test_an_uploaded_inventory_gets_the_clis_report(world: World) -> None:
    from pathlib import Path

    from veil.rules.apps import check_app
    from veil.rules.report import render_json

    example = Path(__file__).parents[2] / "docs" / "examples" / "app-shop.yaml"
    url = "/api/v1/operator/checks/app?format=json&file_name=app-shop.yaml"
    r = world.operator.post(url, content=example.read_bytes())
    assert r.status_code == 200, r.text
    cli = json.loads(render_json(check_app(example)))
    api = r.json()
    assert api["compliant"] is cli["compliant"] is False and api["summary"] == cli["summary"]
    assert [f["check_id"] for f in api["findings"]] == [f["check_id"] for f in cli["findings"]]
    assert api["findings"] and "app-shop.yaml" in r.text
