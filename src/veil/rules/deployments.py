"""Face-recognition deployments checked against the 2025 measures, PIPL, the SPC provisions and
local rules (Hangzhou, Tianjin, Nanjing, Kunming).

Two input forms are accepted (YAML or JSON):

* ``deployment:`` a description of any face-recognition deployment (sales office camera,
  residential gate, shop, office attendance, hotel ...), every obligation stated explicitly;
* ``veil_gate:`` the configuration of a site that runs ``veil gate`` (its ``--purpose`` and
  ``--mode`` among the site facts): Veil fills in what its gate guarantees by construction
  (separate per-purpose consent records, withdrawal that crypto-shreds the template, faces of
  non-consenting people redacted and their embeddings forgotten, encrypted templates, ledger
  records), so Veil can check itself; a gate run with ``--mode none`` leaves faces visible and
  fails the anonymize-by-default check, and one whose ``--match-threshold`` is looser than Veil's
  measured threshold fails VEIL-GATE-001.

Fail closed: an obligation not declared is treated as unmet.
"""

from __future__ import annotations

import re
from pathlib import Path

from veil.rules.deployment_checks import DEPLOYMENT_RULES, GATE_RULES, LOCAL_RULES, Rule
from veil.rules.deployment_model import (
    FILING_THRESHOLD,
    RECORDS_MIN_YEARS,
    REQUIRED_SECURITY,
    Deployment,
    GateRedaction,
    LegalBasis,
    NonConsenting,
    NoticeItem,
    PrivateSpace,
    PurposeCategory,
    Scenario,
    Security,
    Storage,
    VeilGate,
    parse_deployment,
)
from veil.rules.models import Finding, Location, Observation, Report
from veil.rules.ruledata import make_finding, rule_data
from veil.rules.source import SourceFile, read_source
from veil.rules.taxonomy import normalize

__all__ = [
    "DEPLOYMENT_RULES",
    "FILING_THRESHOLD",
    "GATE_RULES",
    "LOCAL_RULES",
    "RECORDS_MIN_YEARS",
    "REQUIRED_SECURITY",
    "Deployment",
    "GateRedaction",
    "LegalBasis",
    "NonConsenting",
    "NoticeItem",
    "PrivateSpace",
    "PurposeCategory",
    "Rule",
    "Scenario",
    "Security",
    "Storage",
    "VeilGate",
    "check_deployment",
    "check_deployment_model",
    "local_rules_for",
    "parse_deployment",
]

# Fields of the veil_gate form that stand for a Deployment field (for finding line numbers).
_GATE_FIELDS = {
    "name": "site",
    "storage": "vault",
    "records_kept_years": "ledger_retention_years",
    "people_stored": "people_enrolled",
    "security_measures": "extra_security",
    "non_consenting": "mode",
    "face_only_entry": "alternatives",
}


def _in_city(place: str, city: str) -> bool:
    """True when ``place`` (as written) names ``city`` (normalized): one comma-separated part is
    the city ('Hangzhou', 'hangzhou city', 'Nanjing Shi'), or a part holds the city with its 市 or
    'city' ('杭州市西湖区', '浙江省杭州市', 'Xihu District, Hangzhou City'); a street named after
    a city ('上海市南京路', 'Nanjing Road, Shanghai') is not the city."""
    if not city:
        return False
    for part in re.split(r"[,，、;；/]", place):
        name = normalize(part)
        if name in {city, city + "city", city + "shi", city + "市"}:
            return True
        if city + "市" in name or city + "city" in name:
            return True
    return False


def _threshold(gate: VeilGate) -> str:
    from veil.consent.matching import DEFAULT_THRESHOLD

    if gate.match_threshold is None:
        return f"{DEFAULT_THRESHOLD:g} (default)"
    return f"{gate.match_threshold:g}"


def local_rules_for(city: str | None) -> list[str]:
    """Ids of the local rules that apply in ``city`` (English or Chinese name, with or without
    province or district)."""
    if not city:
        return []
    data = rule_data()
    found = []
    for check_id in LOCAL_RULES:
        info = data.check(check_id)
        names = (normalize(info.city_en or ""), normalize(info.city_zh or ""))
        if any(_in_city(city, name) for name in names):
            found.append(check_id)
    return found


def check_deployment_model(
    deployment: Deployment,
    source: SourceFile,
    root: tuple[str, ...] = ("deployment",),
    gate_config: VeilGate | None = None,
) -> Report:
    """Check one deployment; findings point at the field concerned in ``source``."""
    gate = gate_config is not None
    findings: list[Finding] = []

    def where(field: str) -> Location:
        name = _GATE_FIELDS.get(field, field) if gate else field
        line = source.line(*root, name) if name in source.data.get(root[0], {}) else None
        return Location(path=str(source.path), line=line or source.line(*root))

    local = local_rules_for(deployment.city)
    rules = [*DEPLOYMENT_RULES.items(), *((k, LOCAL_RULES[k]) for k in local)]
    for check_id, (rule, field) in rules:
        message = rule(deployment)
        if message is not None:
            findings.append(make_finding(check_id, message, where(field), field))
    gate_checks: list[str] = []
    if gate_config is not None:
        for check_id, (gate_rule, field) in GATE_RULES.items():
            gate_checks.append(check_id)
            message = gate_rule(gate_config)
            if message is not None:
                findings.append(make_finding(check_id, message, where(field), field))
    observations = [
        Observation(label="scenario", detail=deployment.scenario.value),
        Observation(label="city", detail=deployment.city or "not given (no local rules applied)"),
        Observation(
            label="local rules",
            detail=", ".join(local) or "none known for this city",
        ),
    ]
    if gate_config is not None:
        purpose = gate_config.consent_purpose or "not named"
        observations.append(
            Observation(
                label="veil gate",
                detail=f"consent purpose {purpose}, mode {gate_config.mode.value}, match "
                f"threshold {_threshold(gate_config)}; separate "
                "per-purpose consent, withdrawal with deletion (crypto-shredding), encrypted "
                "templates and ledger records are what veil gate does by construction"
                + (
                    "; faces without consent are left visible (mode none)"
                    if gate_config.mode is GateRedaction.NONE
                    else "; faces without consent are redacted and their embeddings forgotten"
                ),
            )
        )
    return Report(
        kind="deployment",
        target=str(source.path),
        subject=deployment.name,
        context=f"face-recognition deployment: {deployment.scenario.value}"
        + (f" in {deployment.city}" if deployment.city else ""),
        observations=tuple(observations),
        findings=tuple(findings),
        checks_run=(*(check_id for check_id, _ in rules), *gate_checks),
    )


def check_deployment(path: Path) -> Report:
    """Read a deployment (or veil gate) file and check it (``veil check deployment``)."""
    source = read_source(path, "deployment")
    deployment, root, gate_config = parse_deployment(source)
    return check_deployment_model(deployment, source, root, gate_config)
