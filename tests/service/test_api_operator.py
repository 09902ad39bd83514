"""The operator API: purposes, consents, enrollment by upload, the rights queue, compliance checks,
the ledger, cameras; and every read of a person's records shows in that person's trace."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

from tests.consent.conftest import BoxDetector, ColourEmbedder
from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from veil.service import enrollment
from veil.service.demo import DEPLOYMENT, GREETING


def test_purposes_list_and_add(world: World) -> None:
    names = [p["name"] for p in world.operator.get("/api/v1/operator/purposes").json()]
    assert GREETING in names
    r = world.operator.post("/api/v1/operator/purposes", json={"name": "door", "access": True})
    assert r.status_code == 400 and "alternative" in r.json()["detail"]
    body = {"name": "door", "access": True, "alternative": "key card"}
    assert world.operator.post("/api/v1/operator/purposes", json=body).status_code == 201
    assert world.operator.post("/api/v1/operator/purposes", json=body).status_code == 400
    assert world.person_a.get("/api/v1/operator/purposes").status_code == 403


def test_grant_and_withdraw_on_a_persons_behalf(world: World) -> None:
    body = {"subject_id": "visitor-099", "deployment": SITE, "purposes": [GREETING]}
    r = world.operator.post("/api/v1/operator/consents", json=body)
    assert r.status_code == 201, r.text
    record = r.json()["record_id"]
    listed = world.operator.get("/api/v1/operator/consents?subject_id=visitor-099").json()
    assert [c["record_id"] for c in listed] == [record] and listed[0]["state"] == "given"
    r = world.operator.post(f"/api/v1/operator/consents/{record}/withdraw", json={"note": "asked"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    assert world.operator.post("/api/v1/operator/consents/nope/withdraw").status_code == 404
    body["purposes"] = ["undeclared"]
    assert world.operator.post("/api/v1/operator/consents", json=body).status_code == 400


def test_reads_by_an_operator_show_in_the_persons_trace(world: World) -> None:
    def reads(trace: dict[str, Any]) -> list[dict[str, Any]]:
        events = [e["event"] for e in trace["entries"] + trace["pending"]]
        return [e for e in events if str(e["system"]).startswith("veil-service/")]

    assert reads(world.person_a.get("/api/v1/me/trace").json()) == []
    world.operator.get("/api/v1/operator/consents?subject_id=visitor-001")
    (event,) = reads(world.person_a.get("/api/v1/me/trace").json())
    assert event["system"] == "veil-service/operator"
    assert event["action"] == "use" and event["digests"]["reader"].startswith("sha256:")
    assert "op" not in json.dumps(event["digests"])  # the account by pseudonym, not by name
    assert reads(world.person_b.get("/api/v1/me/trace").json()) == []


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 200, np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_enrollment_by_upload_has_the_clis_checks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes: list[list[float]] = [[10, 10, 110, 110]]
    monkeypatch.setattr(enrollment, "models", lambda: (BoxDetector(boxes), ColourEmbedder()))
    url = f"/api/v1/operator/enrollments?subject_id=visitor-002&purpose={GREETING}"
    r = world.operator.post(url, content=_png(160, 160), headers={"content-type": "image/png"})
    assert r.status_code == 201, r.text
    assert r.json()["templates"] == 1
    boxes.append([120, 10, 150, 40])  # a second face: refused, as the CLI refuses it
    r = world.operator.post(url, content=_png(160, 160), headers={"content-type": "image/png"})
    assert r.status_code == 400 and "exactly one face" in r.json()["detail"]
    assert world.operator.post(url, content=b"not an image").status_code == 400
    monkeypatch.setattr(enrollment, "MAX_PIXELS", 100 * 100)
    r = world.operator.post(url, content=_png(160, 160))
    assert r.status_code == 400 and "pixels" in r.json()["detail"]
    no_consent = "/api/v1/operator/enrollments?subject_id=visitor-005&purpose=" + GREETING
    assert world.operator.post(no_consent, content=_png(160, 160)).status_code == 400
    assert list((world.seed.home / "uploads").iterdir()) == []  # uploads never stay


def test_rights_queue_and_transitions(world: World) -> None:
    req = world.person_a.post("/api/v1/me/rights", json={"kind": "copy"}).json()
    rid = req["request_id"]
    queue = world.operator.get("/api/v1/operator/rights").json()
    assert [q["request_id"] for q in queue] == [rid] and queue[0]["deadline"] == req["deadline"]
    step = f"/api/v1/operator/rights/{rid}/steps"
    assert world.operator.post(step, json={"state": "fulfilled"}).status_code == 400
    assert world.operator.post(step, json={"state": "in_progress"}).json()["state"] == "in_progress"
    assert world.operator.post(step, json={"state": "refused"}).status_code == 400  # no reason
    done = world.operator.post(step, json={"state": "fulfilled", "note": "sent"})
    assert done.status_code == 200 and done.json()["next_states"] == []
    assert world.operator.get("/api/v1/operator/rights").json() == []
    assert len(world.operator.get("/api/v1/operator/rights?include_closed=true").json()) == 1
    (mine,) = world.person_a.get("/api/v1/me/rights").json()
    assert mine["state"] == "fulfilled"
    missing = world.operator.post(
        "/api/v1/operator/rights/rr_x/steps", json={"state": "in_progress"}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("fmt", "media", "marker"),
    [("json", "application/json", '"compliant"'), ("sarif", "application/sarif+json", "2.1.0"),
     ("html", "text/html", "<html")],
)  # fmt: skip
def test_checks_of_an_uploaded_deployment(world: World, fmt: str, media: str, marker: str) -> None:
    site = dict(DEPLOYMENT["deployment"])
    site["signage"] = False
    content = yaml.safe_dump({"deployment": site}).encode()
    url = f"/api/v1/operator/checks/deployment?format={fmt}&file_name=site.yaml"
    r = world.operator.post(url, content=content)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media) and marker in r.text
    assert str(world.seed.home) not in r.text  # no server path in the report
    if fmt == "json":
        assert r.json()["compliant"] is False


def test_checks_refuse_what_cannot_be_checked(world: World) -> None:
    r = world.operator.post("/api/v1/operator/checks/deployment", content=b"deployment: [1\n")
    assert r.status_code == 400 and str(world.seed.home) not in r.text
    assert world.operator.post("/api/v1/operator/checks/apk", content=b"PK").status_code == 400
    assert world.operator.post("/api/v1/operator/checks/zip", content=b"x").status_code == 422


def test_ledger_status_checkpoints_witnesses(world: World) -> None:
    status = world.operator.get("/api/v1/operator/ledger/status").json()
    assert status["size"] == world.app.state.veil.ledger().head().size
    cps = world.operator.get("/api/v1/operator/ledger/checkpoints?limit=2").json()
    assert len(cps) == 2 and cps[0]["size"] >= cps[1]["size"]
    wit = world.operator.get("/api/v1/operator/ledger/witnesses").json()
    assert wit["cosigners"] == ["witness.demo.veil.example"]
    assert world.auditor.get("/api/v1/operator/ledger/status").status_code == 403


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = {"status": "ok", "cameras": {"entrance": {
            "up": True, "state": "streaming", "frames_in": 30, "frames_out": 30,
            "faces_redacted": 12, "frames_blanked": 1, "error": None}}}  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()


def test_cameras_polled_and_unreachable_reported(world: World, health_url: str) -> None:
    api = "/api/v1/operator/cameras"
    assert world.operator.post(api, json={"name": "entrance", "health_url": health_url}).status_code == 201  # fmt: skip
    dead = {"name": "model-room", "health_url": "http://127.0.0.1:9/health"}
    assert world.operator.post(api, json=dead).status_code == 201
    for url in ("file:///etc/passwd", "http://[::1", "http://\x00x"):
        bad = {"name": "x", "health_url": url}
        assert world.operator.post(api, json=bad).status_code == 422
    cams = {c["name"]: c for c in world.operator.get(api).json()}
    assert cams["entrance"]["reachable"] and cams["entrance"]["state"] == "streaming"
    assert cams["entrance"]["faces_redacted"] == 12 and cams["entrance"]["frames_blanked"] == 1
    assert cams["model-room"] == {**cams["model-room"], "reachable": False, "state": "unreachable"}
    assert world.operator.get(f"{api}/model-room").status_code == 200
    assert world.operator.delete(f"{api}/model-room").status_code == 204
    assert world.operator.get(f"{api}/model-room").status_code == 404
    assert world.operator.delete(f"{api}/model-room").status_code == 404
