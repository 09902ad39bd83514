"""THE access table of the service: every route, and the roles that may call it.

Every router added to ``create_app`` must list each of its routes here, or
``test_role_matrix.py`` fails. The matrix then calls every route as every role below and checks
allow (any status but 401/403) or deny (401 for anonymous, else 403, or ``deny_status``).

Roles: ``anonymous``; ``person_a`` and ``person_b`` (capability links of two subjects: person A
owns the example data, so a route about one person's data allows ``person_a`` only);
``operator``, ``auditor``, ``admin`` (sessions, CSRF token sent); ``operator_token`` and
``auditor_token`` (API tokens: expected like ``operator`` and ``auditor``).

``path`` may use placeholders filled from the matrix's world: ``{subject_a_id}`` (person A's
subject id), ``{subject_a}`` (A's pseudonym), ``{entries_tile}``, ``{record_a}`` (A's consent
record; the matrix world also registers the deployment ``matrix-site``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from veil.service.demo import DEPLOYMENT

ROLES = (
    "anonymous", "person_a", "person_b", "operator", "auditor", "admin",
    "operator_token", "auditor_token",
)  # fmt: skip
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
STAFF = frozenset({"operator", "operator_token", "admin"})  # operators and admins
AUDITORS = frozenset({"auditor", "auditor_token"})
AUDIT_READERS = AUDITORS | ADMIN  # audit routes that reveal no event
OPERATORS = frozenset({"operator", "operator_token"})
MATRIX_EVENT = {
    "action": "collect", "controller": "Example Shop Ltd", "data_categories": ["image.scene"],
    "id": "01a23759-4410-7b84-b11f-035005ad9878", "legal_basis": "contract",
    "purpose": "entrance monitoring", "system": "gate-1", "time": "2026-12-02T15:22:06.736Z",
}  # fmt: skip
PERSONS = frozenset({"person_a", "person_b"})  # /me routes: each sees only their own data
DIGEST = "sha256:" + "0" * 64


@dataclass(frozen=True)
class Access:
    """Who may call one route, and how the matrix calls it."""

    allowed: frozenset[str]
    path: str | None = None  # the concrete path (default: the route's own path)
    json: Any = None  # a valid JSON body, so that a 422 never hides a missing check
    content: bytes | None = None  # a raw body instead
    ends_session: bool = False  # called after every other route
    deny_status: dict[str, int] = field(default_factory=dict)


# "METHOD /path" as the route declares it -> Access
ACCESS: dict[str, Access] = {
    "GET /openapi.json": Access(EVERYONE),
    "GET /healthz": Access(EVERYONE),
    # interactive docs (Swagger UI served by Veil) and their files: public, like the OpenAPI
    "GET /docs": Access(EVERYONE),
    "GET /docs/assets/{name}": Access(EVERYONE, path="/docs/assets/veil-docs.js"),
    # auth
    "POST /api/v1/auth/login": Access(
        EVERYONE, json={"name": "matrix-login", "password": "correct horse battery staple"}
    ),
    "POST /api/v1/auth/logout": Access(EVERYONE, ends_session=True),
    "GET /api/v1/auth/whoami": Access(EVERYONE),
    "POST /api/v1/auth/tokens": Access(ADMIN, json={"role": "auditor", "label": "matrix"}),
    "GET /api/v1/auth/tokens": Access(ADMIN),
    "DELETE /api/v1/auth/tokens/{token_id}": Access(ADMIN, path="/api/v1/auth/tokens/00"),
    "POST /api/v1/auth/person-links": Access(STAFF, json={"subject_id": "{subject_a_id}"}),
    "GET /api/v1/auth/person-links": Access(STAFF),
    "DELETE /api/v1/auth/person-links/{link_id}": Access(
        STAFF, path="/api/v1/auth/person-links/00"
    ),
    # c2sp tlog-tiles: hash tiles and checkpoints public, entry bundles to auditors only
    "GET /log/checkpoint": Access(EVERYONE),
    "GET /log/tile/{rest:path}": Access(EVERYONE, path="/log/tile/0/000.p/3"),
    "GET /log/tile/entries/{rest:path}": Access(AUDITORS, path="{entries_tile}"),
    # auditors (read-only); entries and the export hold events
    "GET /api/v1/audit/entries": Access(AUDITORS),
    "GET /api/v1/audit/export": Access(AUDITORS),
    "GET /api/v1/audit/checkpoints": Access(AUDIT_READERS),
    "GET /api/v1/audit/checkpoints/{checkpoint_id}": Access(
        AUDIT_READERS, path="/api/v1/audit/checkpoints/1"
    ),
    "GET /api/v1/audit/consistency": Access(
        AUDIT_READERS, path="/api/v1/audit/consistency?old=1&new=3"
    ),
    "POST /api/v1/audit/verify": Access(AUDIT_READERS),
    "GET /api/v1/audit/verify/{job_id}": Access(AUDIT_READERS, path="/api/v1/audit/verify/00"),
    "GET /api/v1/audit/monitor": Access(AUDIT_READERS),
    # events ingest (operators; a repeated call is a 409 duplicate, still allowed)
    "POST /api/v1/events": Access(OPERATORS, json={"events": [MATRIX_EVENT]}),
    # c2sp tlog-witness: logs authenticate by their checkpoint signature, not by a role
    "POST /witness/add-checkpoint": Access(EVERYONE, content=b"not a checkpoint\n"),
    # public: deployment notices and the latest cosigned checkpoint
    "GET /api/v1/public/deployments": Access(EVERYONE),
    "GET /api/v1/public/deployments/{name}": Access(
        EVERYONE, path="/api/v1/public/deployments/matrix-site"
    ),
    "GET /api/v1/public/checkpoint": Access(EVERYONE),
    # person: their own consents, trace and rights requests (person link)
    "GET /api/v1/me/consents": Access(PERSONS),
    "POST /api/v1/me/consents": Access(
        PERSONS,
        json={"deployment": "matrix-site", "purpose": "visitor-count", "notice_digest": DIGEST},
    ),
    "POST /api/v1/me/consents/{record_id}/withdraw": Access(
        PERSONS, path="/api/v1/me/consents/{record_a}/withdraw"
    ),
    "GET /api/v1/me/trace": Access(PERSONS),
    "GET /api/v1/me/rights": Access(PERSONS),
    "POST /api/v1/me/rights": Access(PERSONS, json={"kind": "access"}),
    # operator: people's side
    "GET /api/v1/operator/purposes": Access(STAFF),
    "POST /api/v1/operator/purposes": Access(STAFF, json={"name": "matrix-purpose"}),
    "GET /api/v1/operator/consents": Access(STAFF),
    "POST /api/v1/operator/consents": Access(
        STAFF, json={"subject_id": "{subject_a_id}", "deployment": "none", "purposes": ["x"]}
    ),
    "POST /api/v1/operator/consents/{record_id}/withdraw": Access(
        STAFF, path="/api/v1/operator/consents/00/withdraw"
    ),
    "POST /api/v1/operator/enrollments": Access(
        STAFF,
        path="/api/v1/operator/enrollments?subject_id={subject_a_id}&purpose=x",
        content=b"not an image",
    ),
    "GET /api/v1/operator/rights": Access(STAFF),
    "POST /api/v1/operator/rights/{request_id}/steps": Access(
        STAFF, path="/api/v1/operator/rights/rr_none/steps", json={"state": "in_progress"}
    ),
    # operator: the site's side
    "POST /api/v1/operator/deployments": Access(
        STAFF,
        json={
            "name": "matrix-site-2",
            "controller": "Matrix Ltd",
            "notice_version": "1",
            "notice_text": "cameras redact faces",
            "content": yaml.safe_dump(DEPLOYMENT),
        },
    ),
    "GET /api/v1/operator/deployments": Access(STAFF),
    "POST /api/v1/operator/checks/{kind}": Access(
        STAFF, path="/api/v1/operator/checks/deployment", content=b"deployment: {}\n"
    ),
    "GET /api/v1/operator/ledger/status": Access(STAFF),
    "GET /api/v1/operator/ledger/checkpoints": Access(STAFF),
    "GET /api/v1/operator/ledger/witnesses": Access(STAFF),
    "GET /api/v1/operator/cameras": Access(STAFF),
    "POST /api/v1/operator/cameras": Access(
        STAFF, json={"name": "matrix-cam", "health_url": "http://127.0.0.1:9/health"}
    ),
    "GET /api/v1/operator/cameras/{name}": Access(STAFF, path="/api/v1/operator/cameras/none"),
    "DELETE /api/v1/operator/cameras/{name}": Access(STAFF, path="/api/v1/operator/cameras/none"),
}

from tests.service.access_pages import page_rows  # noqa: E402  (the HTML pages)

ACCESS.update(page_rows(Access, EVERYONE))
