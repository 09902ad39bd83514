"""Compliance checks of uploaded files, by the very functions ``veil check`` runs.

The upload is written to a private temporary folder under its (sanitised) file name, so the
report points at ``inventory.yaml:12`` as the CLI's would, checked, rendered in the format asked
(JSON, SARIF 2.1.0 or HTML) and deleted.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from veil.errors import BadInputError
from veil.rules.models import Report
from veil.rules.report import OutputFormat, render

CheckKind = Literal["app", "apk", "deployment"]
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
DEFAULT_NAMES = {"app": "inventory.yaml", "apk": "app.apk", "deployment": "deployment.yaml"}
MEDIA_TYPES = {
    OutputFormat.JSON: "application/json",
    OutputFormat.SARIF: "application/sarif+json",
    OutputFormat.HTML: "text/html; charset=utf-8",
}


def _file_name(kind: CheckKind, given: str | None) -> str:
    name = _SAFE.sub("_", Path(given or "").name).lstrip(".")[:100]
    default = DEFAULT_NAMES[kind]
    if not name:
        return default
    if kind == "apk" and not name.lower().endswith(".apk"):
        name += ".apk"
    if kind != "apk" and not name.lower().endswith((".yaml", ".yml", ".json")):
        name += ".yaml"
    return name


def check_upload(
    kind: CheckKind, data: bytes, scratch: Path, fmt: OutputFormat, *,
    file_name: str | None = None, app_type: str | None = None,
) -> tuple[str, str]:  # fmt: skip
    """Check the uploaded ``data`` as ``veil check KIND`` would (``app_type`` for an APK) and
    render the report in ``fmt``: the text and its media type."""
    if fmt not in MEDIA_TYPES:
        raise BadInputError("format must be json, sarif or html")
    if not data:
        raise BadInputError("send the file to check as the request body")
    if kind == "apk" and not app_type:
        raise BadInputError("an APK check needs app_type (veil check types)")
    scratch.mkdir(mode=0o700, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".check-") as folder:
        path = Path(folder) / _file_name(kind, file_name)
        path.write_bytes(data)
        path.chmod(0o600)
        try:
            text = render(_check(kind, path, app_type), fmt)
        except BadInputError as exc:
            raise BadInputError(str(exc).replace(folder + "/", "")) from None
        return text.replace(folder + "/", ""), MEDIA_TYPES[fmt]


def _check(kind: CheckKind, path: Path, app_type: str | None) -> Report:
    if kind == "app":
        from veil.rules.apps import check_app

        return check_app(path)
    if kind == "apk":
        from veil.rules.apk import check_apk
        from veil.rules.taxonomy import resolve_app_type

        return check_apk(path, resolve_app_type(app_type))
    from veil.rules.deployments import check_deployment

    return check_deployment(path)
