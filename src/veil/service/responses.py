"""The error answers every API route may give, documented once for the whole OpenAPI document.

Errors are ``{"detail": "one line"}`` (a body that fails the schema: ``{"detail": [errors]}``, as
FastAPI writes it). ``create_app`` includes every API router with :data:`ERROR_RESPONSES`, so each route's
OpenAPI entry lists them beside its own answers; the ``/log`` protocol routes answer errors as
plain text (:data:`TEXT_ERRORS`), as c2sp.org/tlog-tiles clients expect.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """An error: one line for people, or FastAPI's list of validation errors."""

    detail: str | list[dict[str, Any]]


_WHY = {
    400: "Bad input (outside the log, not a valid file, ...)",
    401: "No credentials, or a bad bearer credential",
    403: "Not allowed for this role, or a missing CSRF token",
    404: "No such thing (or not yours)",
    409: "Conflicts with the current state (a duplicate, a changed notice, ...)",
    413: "The request body is over max_upload_bytes",
    422: "The body or a parameter fails the schema",
    429: "Too many failed logins; see Retry-After",
    503: "The service cannot answer now (a missing key, a witness away)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorDetail, "description": why} for code, why in _WHY.items()
}
_TEXT = {"text/plain": {"schema": {"type": "string"}}}
TEXT_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": _WHY[code], "content": dict(_TEXT)} for code in (400, 401, 403)
}
# a path the router cannot match at all (a newline in it) gets the framework's JSON 404
TEXT_ERRORS[404] = {
    "description": _WHY[404],
    "content": {**_TEXT, "application/json": {"schema": ErrorDetail.model_json_schema()}},
}
