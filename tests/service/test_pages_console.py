"""The operator console and the auditor pages: sign-in form with login CSRF, dashboard with an
SVG chart, purposes, the rights queue, compliance checks (the report page, and the CLI's HTML report), sign-out,
and the auditor's checkpoints, monitor findings and export."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.ledger.ledger_helpers import make_event
from tests.service.api_world import World, world_fixture  # noqa: F401
from tests.service.conftest import PASSWORD, client_for
from tests.service.page_session import form_token, signed_in
from tests.tiny_apk import write_tiny_apk
from veil.service.accounts import add_account


def test_the_sign_in_form_needs_its_token_and_the_password(world: World) -> None:
    add_account(world.app.state.veil.db, "olga", "operator", PASSWORD)
    c = client_for(world.app)
    form = {"name": "olga", "password": PASSWORD}
    assert c.post("/console/login", data=form).status_code == 400  # login CSRF
    token = form_token(c, "/console/login")
    wrong = c.post("/console/login", data={**form, "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong account name or password" in wrong.text
    ok = c.post("/console/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/console"
    assert "veil_session" in ok.headers["set-cookie"]


def test_the_dashboard_counts_consents_and_charts_events(world: World) -> None:
    c, _ = signed_in(world, "dash")
    cam = {"name": "gate-1", "health_url": "http://127.0.0.1:9/health"}
    assert world.operator.post("/api/v1/operator/cameras", json=cam).status_code == 201
    page = c.get("/console").text
    assert re.search(r"<td>returning-visitor</td><td>\d+</td>", page)
    assert '<svg class="chart" role="img"' in page and "Consent given" in page
    assert 'data-camera="gate-1" data-up="false"' in page and "unreachable" in page
    events = [json.loads(leaf.data) for leaf in world.app.state.veil.ledger().log.iter_leaves()]
    entrance = sum(
        e.get("counts", {}).get("faces_redacted", 0)
        for e in events
        if e["action"] == "anonymize" and e["system"] == "veil-stream/entrance"
    )
    assert entrance > 0 and "Faces redacted by camera" in page
    assert ">entrance</text>" in page and f">{entrance}</text>" in page
    zh = c.get("/console?lang=zh-CN").text
    assert "同意" in zh and "近期事件" in zh


def test_an_operator_adds_a_purpose_and_answers_a_rights_request(world: World) -> None:
    c, csrf = signed_in(world, "ops")
    form = {"name": "parcel-pickup", "description": "hand out parcels"}
    assert c.post("/console/purposes", data=form).status_code == 403  # no CSRF token
    r = c.post("/console/purposes", data={**form, "csrf_token": csrf})
    assert r.status_code == 200 and 'data-purpose="parcel-pickup"' in r.text
    req = world.person_a.post("/api/v1/me/rights", json={"kind": "copy"}).json()["request_id"]
    url = f"/console/rights/{req}"
    assert f'data-rights="{req}"' in c.get("/console/rights").text
    c.post(url, data={"state": "in_progress", "csrf_token": csrf})
    done = c.post(url, data={"state": "fulfilled", "note": "sent by post", "csrf_token": csrf})
    assert done.status_code == 200 and req not in done.text  # no longer open
    (mine,) = world.person_a.get("/api/v1/me/rights").json()
    assert mine["state"] == "fulfilled"


def test_an_apk_check_shows_the_report_and_answers_the_clis_html(
    world: World, tmp_path: Path
) -> None:
    c, csrf = signed_in(world, "checker")
    apk = write_tiny_apk(tmp_path / "shop.apk", ["android.permission.CAMERA"]).read_bytes()
    form = {"kind": "apk", "app_type": "28", "csrf_token": csrf}
    upload = {"file": ("shop.apk", apk, "application/vnd.android.package-archive")}
    page = c.post("/console/checks", data=form, files=upload)
    assert page.status_code == 200 and "shop.apk" in page.text and "<style>" not in page.text
    assert 'data-download="html"' in page.text and str(world.seed.home) not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the page CSP
    r = c.post("/console/checks", data={**form, "format": "html"}, files=upload)
    assert r.status_code == 200 and "shop.apk" in r.text and "<style>" in r.text
    assert str(world.seed.home) not in r.text  # no server path
    csp = r.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "style-src 'sha256-" in csp
    no_token = c.post("/console/checks", data={"kind": "apk"}, files={"file": ("a.apk", apk)})
    assert no_token.status_code == 403
    odd = c.post("/console/checks", data={**form, "format": "pdf"}, files=upload)
    assert odd.status_code == 400


def test_after_sign_out_the_session_is_refused(world: World) -> None:
    c, csrf = signed_in(world, "leaver")
    r = c.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    session = re.search(r"veil_session=([^;]*)", r.headers["set-cookie"])
    assert session is not None and session.group(1) in ("", '""')
    assert c.get("/console").status_code == 401


def test_an_auditor_sees_checkpoints_findings_and_exports(world: World) -> None:
    c, _ = signed_in(world, "audrey", "auditor")
    page = c.get("/audit-ui").text
    assert "data-checkpoint=" in page and "witness" in page
    ledger = world.app.state.veil.ledger()
    stranger = ledger.pseudonym("never-consented")
    index = ledger.append(make_event(0, subject=stranger, action="identify"))
    page = c.get("/audit-ui").text
    assert 'data-finding="identify-without-consent"' in page and f"#{index}" in page
    export = c.get("/audit-ui/export")
    assert export.text.count("\n") == ledger.head().size
    assert c.get("/console").status_code == 403  # not an operator page


def test_a_consent_at_the_desk_and_the_persons_link(world: World) -> None:
    c, csrf = signed_in(world, "desk")
    form = {"subject_id": "visitor-new", "deployment": "sales-office", "purpose": "visitor-count"}
    assert c.post("/console/consents", data={**form, "csrf_token": csrf}).status_code == 400
    r = c.post("/console/consents", data={**form, "shown": "yes", "csrf_token": csrf})
    (record,) = re.findall(
        r'data-record="(cr_[a-z0-9]+)" data-state="given"><td>visitor-new', r.text
    )
    made = c.post("/console/links", data={"subject_id": "visitor-new", "csrf_token": csrf})
    found = re.search(r"<code data-person-link>(http://testserver/me/vp_[^<]+)</code>", made.text)
    assert found is not None
    person = client_for(world.app)
    assert f'data-consent="{record}"' in person.get(found.group(1)).text  # redirected to /me
    ledger = world.app.state.veil.ledger()
    events = ledger.events_for_subject(ledger.pseudonym("visitor-new"))
    assert "veil-service/operator" in {e.system for e in events}  # the listing was a read
    c.post(f"/console/consents/{record}/withdraw", data={"csrf_token": csrf})
    assert f'data-consent="{record}" data-state="withdrawn"' in person.get("/me").text


def test_the_sign_in_form_is_rate_limited_like_the_api(world: World) -> None:
    add_account(world.app.state.veil.db, "brute", "operator", PASSWORD)
    c = client_for(world.app)
    token = form_token(c, "/console/login")
    limit = world.app.state.veil.settings.login_max_failures
    for _ in range(limit):
        bad = {"name": "brute", "password": "guess", "csrf_token": token}
        assert c.post("/console/login", data=bad).status_code == 401
    right = {"name": "brute", "password": PASSWORD, "csrf_token": token}
    r = c.post("/console/login", data=right)
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    assert int(r.headers["retry-after"]) > 0
