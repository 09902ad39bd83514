"""schemathesis against /openapi.json: no 500 and every response matches its schema.

schemathesis is not installed in this environment (and cannot be fetched offline), so this module
is skipped with that reason; tests/service/test_openapi_conformance.py checks the same two
properties with jsonschema on every route as every role.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install schemathesis to run this)"
)

from veil.service import ServiceSettings, create_app  # noqa: E402
from veil.service.tokens import create_token  # noqa: E402

_HOME = Path(tempfile.mkdtemp(prefix="veil-schemathesis-"))
APP = create_app(ServiceSettings(home=_HOME / "home"))
AUDITOR, _ = create_token(APP.state.veil.db, "auditor", "schemathesis")
_from_asgi: Any = getattr(getattr(schemathesis, "openapi", schemathesis), "from_asgi", None)
SCHEMA = (_from_asgi or schemathesis.from_asgi)("/openapi.json", APP)


@SCHEMA.parametrize()
def test_no_500_and_responses_match_their_schemas(case: Any) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {AUDITOR}"}
    case.call_and_validate()
