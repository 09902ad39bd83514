"""The HTML pages' rows of the access table (merged into ``ACCESS`` by tests/service/access.py).

Forms are sent as the matrix sends every body (JSON, so the form is empty): an allowed caller
gets a 4xx about the form (or the page), never 401/403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.service.access import Access


def page_rows(access: type[Access], everyone: frozenset[str]) -> dict[str, Access]:
    """The rows; ``access`` is the table's :class:`Access` (passed in to avoid a cycle)."""
    persons = frozenset({"person_a", "person_b"})
    staff = frozenset({"operator", "operator_token", "admin"})
    auditors = frozenset({"auditor", "auditor_token"})
    return {
        "GET /": access(everyone),
        "GET /favicon.ico": access(everyone),
        # public
        "GET /notice/{name}": access(everyone, path="/notice/matrix-site"),
        "GET /notice/{name}/sign": access(everyone, path="/notice/matrix-site/sign"),
        # person pages (the link as a cookie, or as a bearer)
        "GET /me/{link}": access(everyone, path="/me/vp_unknown"),
        "GET /me": access(persons),
        "POST /me/consents": access(persons, json={"deployment": "matrix-site"}),
        "POST /me/consents/{record_id}/withdraw": access(
            persons, path="/me/consents/{record_a}/withdraw"
        ),
        "POST /me/consents/{record_id}/enroll": access(
            persons, path="/me/consents/{record_a}/enroll"
        ),
        "GET /me/receipts/{record_id}": access(persons, path="/me/receipts/{record_a}"),
        "GET /me/trace": access(persons),
        "GET /me/trace/bundle": access(persons),
        "POST /me/rights": access(persons, json={"kind": "access"}),
        "POST /me/leave": access(persons),
        # operator console
        "GET /console/login": access(everyone),
        "POST /console/login": access(everyone, json={"name": "matrix-login"}),
        "POST /console/logout": access(everyone, ends_session=True),
        "GET /console": access(staff),
        "GET /console/consents": access(staff),
        "POST /console/consents": access(staff, json={"subject_id": "x"}),
        "POST /console/consents/{record_id}/withdraw": access(
            staff, path="/console/consents/cr_none/withdraw"
        ),
        "POST /console/links": access(staff, json={"subject_id": "x"}),
        "GET /console/purposes": access(staff),
        "POST /console/purposes": access(staff, json={"name": "matrix-page-purpose"}),
        "GET /console/rights": access(staff),
        "POST /console/rights/{request_id}": access(staff, path="/console/rights/rr_none"),
        "GET /console/checks": access(staff),
        "POST /console/checks": access(staff, content=b"not a form"),
        "GET /console/cameras": access(staff),
        "POST /console/cameras": access(staff, json={"name": "matrix-camera"}),
        "POST /console/cameras/{name}/remove": access(staff, path="/console/cameras/none/remove"),
        "GET /console/enrollment": access(staff),
        "POST /console/enrollment": access(staff, json={"subject_id": "x"}),
        "GET /console/ledger": access(staff),
        # auditor
        "GET /audit-ui": access(auditors),
        "GET /audit-ui/export": access(auditors),
        "GET /audit-ui/consistency": access(auditors, path="/audit-ui/consistency?old=1&new=2"),
        "POST /audit-ui/verify": access(auditors),
        "GET /audit-ui/verify/{job_id}": access(auditors, path="/audit-ui/verify/00"),
    }
