"""The public and person APIs: notices, the cosigned checkpoint, a person's consents (give and
withdraw with receipts), trace with proofs, rights requests; person A never sees person B's."""

from __future__ import annotations

from tests.service.api_world import SITE, World, world_fixture  # noqa: F401
from veil.consent.registry import notice_digest
from veil.ledger.proofs import parse_tlog_proof
from veil.service.demo import CONTROLLER, GREETING, NOTICE


def test_public_notices_name_the_operator_and_compliance(world: World) -> None:
    r = world.anonymous.get("/api/v1/public/deployments")
    assert r.status_code == 200
    (site,) = r.json()
    assert site["name"] == SITE and site["notice_digest"] == notice_digest(NOTICE)
    notice = site["notice"]
    assert notice["operator"] == CONTROLLER and notice["faces_redacted_at_capture"] is True
    assert notice["checkpoint"]["witnesses"] == ["witness.demo.veil.example"]
    one = world.anonymous.get(f"/api/v1/public/deployments/{SITE}")
    assert one.status_code == 200 and one.json() == site
    assert world.anonymous.get("/api/v1/public/deployments/nowhere").status_code == 404
    assert world.anonymous.get("/api/v1/public/deployments/..%2Fsecret").status_code in (400, 404)


def test_public_checkpoint_is_the_latest_cosigned(world: World) -> None:
    r = world.anonymous.get("/api/v1/public/checkpoint")
    assert r.status_code == 200
    cp = r.json()
    assert cp["witnesses"] == ["witness.demo.veil.example"]
    assert cp["size"] == world.app.state.veil.ledger().head().size
    assert "visitor" not in cp["note"]


def test_a_person_sees_only_their_own_consents(world: World) -> None:
    mine = world.person_a.get("/api/v1/me/consents").json()
    theirs = world.person_b.get("/api/v1/me/consents").json()
    assert [c["subject"] for c in mine] == ["visitor-001"]
    assert [c["subject"] for c in theirs] == ["visitor-002"]
    assert world.anonymous.get("/api/v1/me/consents").status_code == 401
    assert world.operator.get("/api/v1/me/consents").status_code == 403


def test_withdraw_is_at_once_with_a_receipt_and_never_anothers(world: World) -> None:
    record_a = world.seed.consent_ids["visitor-001"]
    r = world.person_b.post(f"/api/v1/me/consents/{record_a}/withdraw")
    assert r.status_code == 404  # B cannot withdraw, or learn of, A's consent
    r = world.person_a.post(f"/api/v1/me/consents/{record_a}/withdraw", json={"note": "no more"})
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["action"] == "consent_withdrawn" and receipt["state"] == "withdrawn"
    assert receipt["record_id"] == record_a
    (mine,) = world.person_a.get("/api/v1/me/consents").json()
    assert mine["state"] == "withdrawn" and mine["valid_now"] == {GREETING: False}
    assert world.person_a.post(f"/api/v1/me/consents/{record_a}/withdraw").status_code == 400
    index = receipt["ledger_index"]
    trace = world.person_a.get("/api/v1/me/trace").json()
    assert index in [e["index"] for e in trace["entries"] + trace["pending"]]


def test_give_needs_the_current_notice(world: World) -> None:
    body = {"deployment": SITE, "purpose": GREETING, "notice_digest": notice_digest(b"old")}
    assert world.person_a.post("/api/v1/me/consents", json=body).status_code == 409
    body["notice_digest"] = notice_digest(NOTICE)
    r = world.person_a.post("/api/v1/me/consents", json=body)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["action"] == "consent_granted" and receipt["controller"] == CONTROLLER
    assert len(world.person_a.get("/api/v1/me/consents").json()) == 2
    assert len(world.person_b.get("/api/v1/me/consents").json()) == 1
    body["deployment"] = "nowhere"
    assert world.person_a.post("/api/v1/me/consents", json=body).status_code == 404


def test_trace_has_proofs_against_the_cosigned_checkpoint(world: World) -> None:
    trace = world.person_a.get("/api/v1/me/trace").json()
    assert trace["subject"] == world.subject_a and trace["entries"]
    assert trace["checkpoint"]["witnesses"] == ["witness.demo.veil.example"]
    for entry in trace["entries"]:
        assert entry["event"]["subject"] == world.subject_a
        proof = parse_tlog_proof(entry["tlog_proof"])
        assert proof.index == entry["index"]
    other = world.person_b.get("/api/v1/me/trace").json()
    indexes = {e["index"] for e in other["entries"] + other["pending"]}
    assert indexes.isdisjoint({e["index"] for e in trace["entries"]})


def test_rights_requests_with_state_and_deadline(world: World) -> None:
    r = world.person_a.post("/api/v1/me/rights", json={"kind": "deletion", "detail": "all"})
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["state"] == "received" and req["article"] == "PIPL Art. 47"
    assert req["deadline"] > req["received_at"] and req["next_states"] == ["in_progress"]
    assert [x["request_id"] for x in world.person_a.get("/api/v1/me/rights").json()] == [
        req["request_id"]
    ]
    assert world.person_b.get("/api/v1/me/rights").json() == []
    bad = world.person_a.post("/api/v1/me/rights", json={"kind": "revenge"})
    assert bad.status_code == 422
