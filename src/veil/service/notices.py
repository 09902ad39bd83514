"""Deployment notices: what a QR code at a camera or gate opens (the public API).

:func:`deployment_notice` reads a deployment file (``deployment:`` or ``veil_gate:``, see
docs/check.md) and says who operates the site, for what purpose, on which legal basis, how long
face information is kept, whether faces are redacted at capture, whether recognition runs and
for whom, the non-biometric alternative, the compliance status from the very function
``veil check deployment`` runs (:func:`veil.rules.deployments.check_deployment`) with its
citations, and, given a ledger, the latest cosigned checkpoint and its witnesses. The notice names
no file path of the server and no person.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from veil.ledger.published import CheckpointView, checkpoint_view, latest_cosigned
from veil.rules.deployments import (
    Deployment,
    GateRedaction,
    LegalBasis,
    NonConsenting,
    VeilGate,
    check_deployment,
    parse_deployment,
)
from veil.rules.models import Citation, Finding, Report
from veil.rules.source import read_source

if TYPE_CHECKING:
    from veil.ledger import Ledger


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CitationRef(_Frozen):
    """One article a finding rests on."""

    label: str = Field(description="e.g. 'PIPL Art. 29'")
    instrument: str
    article: str
    certainty: str = Field(description="how Veil's rule data established it")
    url: str | None = None


class NoticeFinding(_Frozen):
    """One compliance finding, without the server-side location."""

    check_id: str
    title: str
    level: str
    message: str
    citations: tuple[CitationRef, ...]


class ComplianceStatus(_Frozen):
    """The result of ``veil check deployment`` on this site."""

    compliant: bool
    checks_run: tuple[str, ...]
    findings: tuple[NoticeFinding, ...]


class Recognition(_Frozen):
    """Whether faces are recognized, and whose."""

    runs: bool
    for_whom: str
    consent_purpose: str | None = Field(description="the consent purpose a veil gate runs with")


class DeploymentNotice(_Frozen):
    """The public notice of one camera or gate (JSON-ready: ``model_dump(mode="json")``)."""

    site: str
    operator: str | None = Field(description="who operates the camera or gate (the controller)")
    scenario: str
    city: str | None
    purpose: str
    purpose_category: str
    legal_basis: str
    retention_days: int | None = Field(description="how long face information is kept")
    retention: str
    storage: str
    internet_transfer: bool
    faces_redacted_at_capture: bool
    non_consenting: str = Field(description="what happens to faces of people who did not consent")
    recognition: Recognition
    alternatives: tuple[str, ...] = Field(description="the non-biometric ways through")
    compliance: ComplianceStatus
    checkpoint: CheckpointView | None = Field(
        description="the ledger's latest cosigned checkpoint (None without a ledger or one)"
    )


_FATES = {
    NonConsenting.ANONYMIZE: "anonymized at capture",
    NonConsenting.DISCARD: "discarded at capture",
    NonConsenting.STORE: "stored",
    NonConsenting.SHOWN: "shown unredacted",
    NonConsenting.UNDECLARED: "not declared (treated as not redacted)",
}


def _citation(c: Citation) -> CitationRef:
    return CitationRef(
        label=c.label,
        instrument=c.instrument,
        article=c.article,
        certainty=c.certainty.value,
        url=c.url,
    )


def _finding(f: Finding) -> NoticeFinding:
    return NoticeFinding(
        check_id=f.check_id,
        title=f.title,
        level=f.level.value,
        message=f.message,
        citations=tuple(_citation(c) for c in f.citations),
    )


def compliance_status(report: Report) -> ComplianceStatus:
    """A check report as the notice shows it (no file paths)."""
    return ComplianceStatus(
        compliant=report.compliant,
        checks_run=report.checks_run,
        findings=tuple(_finding(f) for f in report.findings),
    )


def _recognition(d: Deployment, gate: VeilGate | None) -> Recognition:
    if gate is not None:
        purpose = gate.consent_purpose
        whom = "only people who gave separate consent" + (
            f" for the purpose {purpose!r}" if purpose else ""
        )
        if gate.mode is GateRedaction.NONE:
            whom += "; the faces of everyone else are left visible"
        else:
            whom += f"; the faces of everyone else are redacted ({gate.mode.value})"
        return Recognition(runs=True, for_whom=whom, consent_purpose=purpose)
    if d.legal_basis is LegalBasis.LAW:
        whom = "people the law requires to be identified (legal basis: law)"
    elif d.separate_consent:
        whom = "only people who gave separate consent"
    else:
        whom = "everyone captured: no separate consent is asked"
    return Recognition(runs=True, for_whom=whom, consent_purpose=None)


def _retention(days: int | None) -> str:
    if days is None:
        return "no retention period is set"
    if days == 0:
        return "not kept after processing"
    return f"kept at most {days} day{'s' if days != 1 else ''}"


def deployment_notice(
    deployment: Path, ledger: Ledger | None = None, *, operator: str | None = None
) -> DeploymentNotice:
    """The public notice of the deployment file ``deployment``; ``operator`` names the
    controller (deployment files do not), ``ledger`` adds the latest cosigned checkpoint."""
    report = check_deployment(deployment)
    d, _, gate = parse_deployment(read_source(deployment, "deployment"))
    cp = latest_cosigned(ledger) if ledger is not None else None
    return DeploymentNotice(
        site=d.name,
        operator=operator,
        scenario=d.scenario.value,
        city=d.city,
        purpose=d.purpose,
        purpose_category=d.purpose_category.value,
        legal_basis=d.legal_basis.value,
        retention_days=d.retention_days,
        retention=_retention(d.retention_days),
        storage=d.storage.value,
        internet_transfer=d.internet_transfer,
        faces_redacted_at_capture=d.non_consenting
        in (NonConsenting.ANONYMIZE, NonConsenting.DISCARD),
        non_consenting=_FATES[d.non_consenting],
        recognition=_recognition(d, gate),
        alternatives=() if d.face_only_entry else d.alternatives,
        compliance=compliance_status(report),
        checkpoint=checkpoint_view(ledger, cp) if ledger is not None and cp is not None else None,
    )
