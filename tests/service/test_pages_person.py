"""The person's pages: the link becomes an HttpOnly cookie and leaves the address bar, consent on
the notice shown (its digest recorded), withdrawal in one step with a receipt, CSRF on every form,
and one person never sees another's records."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.consent.conftest import BoxDetector, ColourEmbedder
from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from tests.service.conftest import client_for
from veil.ledger.witness import Witness
from veil.service import ServiceSettings, create_app, enrollment
from veil.service.people import open_registry
from veil.service.tokens import create_person_link, list_person_links, revoke_person_link

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _browser(world: World, subject: str) -> tuple[TestClient, str]:
    """A cookie-carrying client that opened the subject's link, and its CSRF token."""
    link, _ = create_person_link(world.app.state.veil.db, subject, 3600)
    c = client_for(world.app)
    r = c.get(f"/me/{link}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/me" in cookie and "samesite=lax" in cookie.lower()
    page = c.get("/me")
    assert page.status_code == 200
    assert link not in page.text  # the secret is never written into a page
    match = CSRF.search(page.text)
    assert match is not None
    return c, match.group(1)


def _digest(c: TestClient) -> str:
    found = re.search(r'name="notice_digest" value="(sha256:[0-9a-f]{64})"', c.get("/me").text)
    assert found is not None
    return found.group(1)


def test_a_person_consents_on_the_notice_and_withdraws_with_a_receipt(world: World) -> None:
    c, csrf = _browser(world, world.subject_a)
    page = c.get("/me").text
    assert "Riverside Garden" in page and "data-notice-text" in page
    form = {"deployment": SITE, "purpose": "visitor-count", "notice_digest": _digest(c)}
    assert c.post("/me/consents", data={**form, "agree": "yes"}).status_code == 403  # no CSRF
    assert c.post("/me/consents", data={**form, "csrf_token": csrf}).status_code == 400  # no tick
    r = c.post("/me/consents", data={**form, "agree": "yes", "csrf_token": csrf})
    assert r.status_code == 200 and 'data-receipt-state="given"' in r.text
    record_id = r.url.path.rsplit("/", 1)[-1]
    public = world.anonymous.get(f"/api/v1/public/deployments/{SITE}").json()
    mine = {x["record_id"]: x for x in world.person_a.get("/api/v1/me/consents").json()}
    assert mine[record_id]["notice_digest"] == public["notice_digest"] == form["notice_digest"]
    w = c.post(f"/me/consents/{record_id}/withdraw", data={"csrf_token": csrf})
    assert w.status_code == 200 and 'data-receipt-state="withdrawn"' in w.text
    assert 'data-receipt-entry="consent_withdrawn"' in w.text
    mine = {x["record_id"]: x for x in world.person_a.get("/api/v1/me/consents").json()}
    assert mine[record_id]["state"] == "withdrawn"


def test_a_changed_notice_is_not_consented_to(world: World) -> None:
    c, csrf = _browser(world, world.subject_a)
    form = {"deployment": SITE, "purpose": "visitor-count", "agree": "yes", "csrf_token": csrf}
    r = c.post("/me/consents", data={**form, "notice_digest": "sha256:" + "1" * 64})
    assert r.status_code == 409 and "<html" in r.text


def test_a_second_person_sees_nothing_of_the_first(world: World) -> None:
    a, _ = _browser(world, world.subject_a)
    b, csrf_b = _browser(world, world.subject_b)
    ids_a = set(re.findall(r'data-consent="(cr_[a-z0-9]+)"', a.get("/me").text))
    ids_b = set(re.findall(r'data-consent="(cr_[a-z0-9]+)"', b.get("/me").text))
    assert ids_a and ids_b and not ids_a & ids_b
    (theirs,) = sorted(ids_a)[:1]
    assert b.get(f"/me/receipts/{theirs}").status_code == 404
    assert b.post(f"/me/consents/{theirs}/withdraw", data={"csrf_token": csrf_b}).status_code == 404
    assert 'data-state="given"' in a.get("/me").text  # still in force
    assert world.subject_a not in b.get("/me/trace").text


def test_no_link_no_page_and_a_bad_link_is_refused(world: World) -> None:
    anon = client_for(world.app)
    r = anon.get("/me")
    assert r.status_code == 401 and "<html" in r.text and "personal link" in r.text
    bad = anon.get("/me/vp_not-a-real-link", follow_redirects=False)
    assert bad.status_code == 404 and "set-cookie" not in bad.headers
    anon.cookies.set("veil_person", "vp_forged", path="/me")
    assert anon.get("/me").status_code == 401


def test_rights_requests_are_filed_and_followed(world: World) -> None:
    c, csrf = _browser(world, world.subject_a)
    r = c.post("/me/rights", data={"kind": "deletion", "detail": "all", "csrf_token": csrf})
    assert r.status_code == 200 and 'data-state="received"' in r.text
    (req,) = world.person_a.get("/api/v1/me/rights").json()
    assert req["kind"] == "deletion"
    world.operator.post(
        f"/api/v1/operator/rights/{req['request_id']}/steps", json={"state": "in_progress"}
    )
    assert 'data-state="in_progress"' in c.get("/me").text


def test_the_trace_page_prints_the_witness_keys_and_serves_the_bundle(world: World) -> None:
    settings = ServiceSettings(home=world.seed.home, witnesses=(str(world.seed.witness_dir),))
    app = create_app(settings)
    link, _ = create_person_link(app.state.veil.db, world.subject_a, 3600)
    c = client_for(app)
    c.get(f"/me/{link}")
    page = c.get("/me/trace")
    assert page.status_code == 200 and "data-trace-entry" in page.text
    vkey = Witness.open(world.seed.witness_dir).vkey
    assert f"<code data-witness-vkey>{vkey}</code>" in page.text
    bundle = c.get("/me/trace/bundle")
    assert bundle.headers["content-disposition"].startswith("attachment")
    assert world.subject_a in bundle.text
    app.state.veil.close()


def test_the_language_switch_is_remembered(world: World) -> None:
    c, _ = _browser(world, world.subject_a)
    assert 'lang="zh-CN"' in c.get("/me?lang=zh-CN").text
    assert 'lang="zh-CN"' in c.get("/me/trace").text


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_a_person_enrolls_a_photo_and_withdrawal_destroys_its_template(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes: list[list[float]] = [[10, 10, 110, 110]]
    monkeypatch.setattr(enrollment, "models", lambda: (BoxDetector(boxes), ColourEmbedder()))
    c, csrf = _browser(world, world.subject_a)
    (record,) = re.findall(r'data-consent="(cr_[a-z0-9]+)" data-state="given"', c.get("/me").text)
    url = f"/me/consents/{record}/enroll"
    photo = {"photo": ("me.png", _png(160, 160), "image/png")}
    assert c.post(url, files=photo).status_code == 403  # no CSRF token
    r = c.post(url, data={"csrf_token": csrf}, files=photo)
    assert r.status_code == 200 and 'data-receipt-entry="store"' in r.text
    boxes.append([120, 10, 150, 40])  # two faces: refused, as the CLI refuses
    two = c.post(url, data={"csrf_token": csrf}, files=photo)
    assert two.status_code == 400 and "exactly one face" in two.text
    assert list((world.seed.home / "uploads").iterdir()) == []
    w = c.post(f"/me/consents/{record}/withdraw", data={"csrf_token": csrf})
    assert "1 face template destroyed" in w.text


def test_a_childs_consent_needs_the_parent_or_guardian(world: World) -> None:
    c, csrf = _browser(world, world.subject_a)
    form = {
        "deployment": SITE, "purpose": "visitor-count", "notice_digest": _digest(c),
        "agree": "yes", "csrf_token": csrf, "under_14": "yes", "relation": "parent",
    }  # fmt: skip
    nameless = c.post("/me/consents", data=form)
    assert nameless.status_code == 400 and "guardian" in nameless.text
    r = c.post("/me/consents", data={**form, "guardian": "Wang Fang"})
    assert r.status_code == 200
    record_id = r.url.path.rsplit("/", 1)[-1]
    with open_registry(world.app.state.veil) as registry:
        record = registry.get(record_id)
    assert record.under_14 and record.guardian is not None
    assert (record.guardian.reference, record.guardian.relation) == ("Wang Fang", "parent")


def test_revoking_the_link_ends_the_cookie_and_leave_forgets_it(world: World) -> None:
    c, _ = _browser(world, world.subject_b)
    db = world.app.state.veil.db
    for link in list_person_links(db, world.subject_b):
        revoke_person_link(db, link.link_id)
    assert c.get("/me").status_code == 401  # effective on the next request
    d, csrf_d = _browser(world, world.subject_a)
    r = d.post("/me/leave", data={"csrf_token": csrf_d}, follow_redirects=False)
    assert r.status_code == 303 and 'veil_person=""' in r.headers["set-cookie"]
    d.cookies.clear()
    assert d.get("/me").status_code == 401
