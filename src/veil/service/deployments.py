"""Deployment files the operator registers, and the public notices made from them.

Each deployment is kept in the service's home as ``deployments/NAME.yaml`` (the file as uploaded,
checked by the parser ``veil check deployment`` uses before it is kept) and ``deployments/NAME.json``
(who operates it, the notice text shown to people and its version). Both are written atomically,
mode 0600. The notice digest a person's consent names is the digest of that text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from veil.consent.registry import notice_digest
from veil.core.atomic import scratch_file, write_file_atomic
from veil.errors import BadInputError
from veil.rules.deployments import check_deployment, parse_deployment
from veil.rules.source import read_source
from veil.service.notices import (
    ComplianceStatus,
    DeploymentNotice,
    compliance_status,
    deployment_notice,
)

if TYPE_CHECKING:
    from veil.ledger import Ledger

FOLDER = "deployments"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NOTICE = 20_000


class DeploymentError(BadInputError):
    """An unknown deployment, a bad name or a deployment file that does not parse."""


class DeploymentInfo(BaseModel):
    """What is kept beside the deployment file."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=NAME.pattern)
    controller: str = Field(min_length=1, max_length=200, description="who operates the site")
    notice_version: str = Field(min_length=1, max_length=100)
    notice_text: str = Field(min_length=1, max_length=MAX_NOTICE)

    @property
    def notice_digest(self) -> str:
        """``sha256:...`` of the notice text, as a consent record names it."""
        return notice_digest(self.notice_text.encode("utf-8"))


class PublicDeployment(BaseModel):
    """A deployment as the public sees it: the notice text, its digest and the notice."""

    model_config = ConfigDict(frozen=True)

    name: str
    notice_version: str
    notice_text: str
    notice_digest: str
    notice: DeploymentNotice


def _folder(home: Path) -> Path:
    folder = home / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _check_name(name: str) -> str:
    if not NAME.match(name):
        raise DeploymentError(f"invalid deployment name {name!r}: lower-case letters, digits, -")
    return name


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, readable by the owner only."""
    write_file_atomic(path, data, 0o600)


def register_deployment(home: Path, info: DeploymentInfo, content: bytes) -> DeploymentInfo:
    """Check ``content`` (YAML or JSON, as ``veil check deployment`` reads it) and keep it with
    ``info`` under ``home``, replacing a deployment of the same name."""
    folder = _folder(home)
    path = folder / f"{_check_name(info.name)}.yaml"
    with scratch_file(folder, content, ".yaml") as scratch:
        try:
            parse_deployment(read_source(scratch, "deployment"))
        except BadInputError as exc:  # name the upload, not a path of the server
            raise DeploymentError(str(exc).replace(str(scratch), path.name)) from None
    write_private(path, content)
    write_private(path.with_suffix(".json"), info.model_dump_json().encode())
    return info


def deployment_names(home: Path) -> list[str]:
    """Names of the registered deployments, sorted."""
    return sorted(p.stem for p in _folder(home).glob("*.json") if NAME.match(p.stem))


def deployment_info(home: Path, name: str) -> DeploymentInfo:
    """The registered deployment ``name``, or :class:`DeploymentError`."""
    meta = _folder(home) / f"{_check_name(name)}.json"
    try:
        return DeploymentInfo.model_validate(json.loads(meta.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise DeploymentError(f"no deployment {name!r}") from None


def public_deployment(home: Path, name: str, ledger: Ledger | None) -> PublicDeployment:
    """The public view of the deployment ``name``: the notice (with the compliance status and
    the latest cosigned checkpoint) and the text a person consents to."""
    info = deployment_info(home, name)
    path = _folder(home) / f"{name}.yaml"
    notice = deployment_notice(path, ledger, operator=info.controller)
    return PublicDeployment(
        name=info.name,
        notice_version=info.notice_version,
        notice_text=info.notice_text,
        notice_digest=info.notice_digest,
        notice=notice,
    )


def deployment_file(home: Path, name: str) -> Path:
    """The registered deployment file of ``name`` (for ``veil check deployment``)."""
    deployment_info(home, name)
    return _folder(home) / f"{name}.yaml"


def deployments_compliance(home: Path) -> list[tuple[str, ComplianceStatus]]:
    """Each registered deployment's name and the result of ``veil check deployment`` on its
    file now (the operator's dashboard lists them), by name."""
    return [
        (name, compliance_status(check_deployment(_folder(home) / f"{name}.yaml")))
        for name in deployment_names(home)
    ]
