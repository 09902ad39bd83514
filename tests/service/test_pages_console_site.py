"""The console's site pages: cameras polled at their real ``veil stream --serve`` health
endpoint (registered from the page), enrollment by photo upload with the CLI's checks, and the
ledger with its witness policy and cosignatures."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from tests.consent.conftest import BoxDetector, ColourEmbedder
from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.page_session import signed_in
from veil.consent.records import ConsentState
from veil.ledger.witness import Witness
from veil.service import enrollment
from veil.service.people import open_registry
from veil.stream.http import Endpoint, StreamServer
from veil.stream.metrics import CameraMetrics


@pytest.fixture
def stream() -> Iterator[tuple[StreamServer, CameraMetrics]]:
    """A ``veil stream --serve`` endpoint for one camera that streams."""
    metrics = CameraMetrics("lobby")
    metrics.up, metrics.state = True, "streaming"
    metrics.add("frames_in", 120)
    metrics.add("frames_out", 118)
    metrics.add("faces_redacted", 37)
    metrics.add("frames_blanked_detector", 2)
    server = StreamServer(("127.0.0.1", 0), lambda: [Endpoint(metrics)])
    server.start()
    try:
        yield server, metrics
    finally:
        server.close()


def test_an_operator_registers_a_camera_and_sees_its_health(
    world: World, stream: tuple[StreamServer, CameraMetrics]
) -> None:
    server, metrics = stream
    c, csrf = signed_in(world, "cams")
    assert "No camera is registered." in c.get("/console/cameras").text
    form = {"name": "lobby-door", "health_url": server.url + "/health", "stream_camera": "lobby"}
    assert c.post("/console/cameras", data=form).status_code == 403  # no CSRF token
    page = c.post("/console/cameras", data={**form, "csrf_token": csrf}).text
    row = re.search(
        r'<li class="card" data-camera="lobby-door" data-up="true" data-reachable="true">.*?</li>',
        page,
        re.S,
    )
    assert row is not None, page
    cells = {k: v for k, v in re.findall(r"<dd data-([a-z-]+)>([^<]*)</dd>", row.group(0))}
    blanked = metrics.snapshot()["frames_blanked"]
    assert cells == {
        "frames-in": "120", "frames-out": "118", "faces-redacted": "37",
        "frames-blanked": str(blanked),
    }  # fmt: skip
    assert blanked == 2 and "Streaming" in row.group(0)
    zh = c.get("/console/cameras?lang=zh-CN").text
    assert "推流中" in zh
    bad = c.post("/console/cameras", data={**form, "health_url": "ftp://x", "csrf_token": csrf})
    assert bad.status_code == 400 and "http" in bad.text
    server.close()  # the camera's endpoint goes away: the page says so
    gone = c.get("/console/cameras?lang=en").text
    assert 'data-camera="lobby-door" data-up="false" data-reachable="false"' in gone
    assert "no answer: ConnectError" in gone  # why, in the library's words on English pages
    gone_zh = c.get("/console/cameras?lang=zh-CN").text
    assert '<p class="muted" lang="zh-CN">无应答（ConnectError）。</p>' in gone_zh
    c.post("/console/cameras/lobby-door/remove", data={"csrf_token": csrf})
    assert 'data-camera="lobby-door"' not in c.get("/console/cameras").text


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_an_operator_enrolls_a_photo_with_the_clis_checks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes: list[list[float]] = [[10, 10, 110, 110]]
    monkeypatch.setattr(enrollment, "models", lambda: (BoxDetector(boxes), ColourEmbedder()))
    subject = world.seed.subjects[0]
    with open_registry(world.app.state.veil) as registry:
        record = registry.records(subject=subject, state=ConsentState.GIVEN)[0]
    c, csrf = signed_in(world, "enroller")
    page = c.get("/console/enrollment").text
    assert f'<option value="{record.purposes[0]}">' in page
    form = {"subject_id": subject, "purpose": record.purposes[0], "csrf_token": csrf}
    photo = {"photo": ("face.png", _png(160, 160), "image/png")}
    r = c.post("/console/enrollment", data=form, files=photo)
    assert r.status_code == 200, r.text
    assert f'data-enrolled="{record.record_id}" data-templates="1"' in r.text
    boxes.append([120, 10, 150, 40])  # two faces: refused, as the CLI refuses
    two = c.post("/console/enrollment", data=form, files=photo)
    assert two.status_code == 400 and "exactly one face" in two.text
    stranger = c.post("/console/enrollment", data={**form, "subject_id": "nobody"}, files=photo)
    assert stranger.status_code in (400, 404) and "data-enrolled" not in stranger.text
    assert list((world.seed.home / "uploads").iterdir()) == []  # the photos are gone


def test_the_ledger_page_shows_the_policy_and_who_cosigned(world: World) -> None:
    ledger = world.app.state.veil.ledger()
    ledger.checkpoint([Witness.open(world.seed.witness_dir)])
    c, _ = signed_in(world, "ledgers")
    page = c.get("/console/ledger").text
    assert f"<td data-ledger-size>{ledger.head().size}</td>" in page
    newest = ledger.checkpoints()[-1]
    assert f'<tr data-checkpoint="{newest.size}" data-cosigners="1">' in page
    witness = Witness.open(world.seed.witness_dir)
    assert witness.vkey.split("+")[0] in page  # the cosigner's name
    assert 'data-witness-policy="' in page
    assert world.auditor.get("/console/ledger").status_code == 403
