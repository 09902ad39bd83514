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
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from veil.rules.models import CheckInputError, Finding, Location, Observation, Report
from veil.rules.ruledata import make_finding, rule_data
from veil.rules.source import SourceFile, read_source, validation_message
from veil.rules.strict import FileModel as _Strict
from veil.rules.taxonomy import normalize

FILING_THRESHOLD = 100_000
_PURPOSE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")  # as veil.consent names purposes
RECORDS_MIN_YEARS = 3


class Scenario(StrEnum):
    SALES_OFFICE = "sales_office"
    RESIDENTIAL_GATE = "residential_gate"
    SHOP = "shop"
    OFFICE_ATTENDANCE = "office_attendance"
    HOTEL = "hotel"
    SCHOOL = "school"
    TRANSPORT = "transport"
    OTHER = "other"


class PurposeCategory(StrEnum):
    PUBLIC_SECURITY = "public_security"
    ACCESS_CONTROL = "access_control"
    ATTENDANCE = "attendance"
    PAYMENT = "payment"
    IDENTITY_VERIFICATION = "identity_verification"
    MARKETING = "marketing"
    ANALYTICS = "analytics"
    OTHER = "other"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    LAW = "law"


class Storage(StrEnum):
    DEVICE = "device"
    LOCAL_SERVER = "local_server"
    CLOUD = "cloud"


class NonConsenting(StrEnum):
    """What happens to the faces of people who did not consent."""

    ANONYMIZE = "anonymize"
    DISCARD = "discard"
    STORE = "store"
    SHOWN = "shown"
    UNDECLARED = "undeclared"


class GateRedaction(StrEnum):
    """``veil gate --mode``: how the gate hides faces without a consent match."""

    BLUR = "blur"
    PIXELATE = "pixelate"
    SOLID = "solid"
    NONE = "none"


class NoticeItem(StrEnum):
    PROCESSOR = "processor"
    PURPOSE = "purpose"
    METHOD = "method"
    RETENTION = "retention"
    NECESSITY_AND_IMPACT = "necessity_and_impact"
    RIGHTS = "rights"


class PrivateSpace(StrEnum):
    HOTEL_ROOM = "hotel_room"
    PUBLIC_BATH = "public_bath"
    CHANGING_ROOM = "changing_room"
    TOILET = "toilet"


class Security(StrEnum):
    ENCRYPTION = "encryption"
    ACCESS_CONTROL = "access_control"
    AUDIT = "audit"
    AUTHORIZATION = "authorization"
    INTRUSION_DETECTION = "intrusion_detection"


REQUIRED_SECURITY = frozenset({Security.ENCRYPTION, Security.ACCESS_CONTROL, Security.AUDIT})


class Deployment(_Strict):
    """A face-recognition deployment, every obligation explicit (the ``deployment:`` form)."""

    name: str = Field(min_length=1)
    scenario: Scenario
    city: str | None = None
    public_place: bool = True
    purpose: str = ""
    purpose_category: PurposeCategory = PurposeCategory.OTHER
    legal_basis: LegalBasis = LegalBasis.CONSENT
    separate_consent: bool = False
    consent_withdrawal: bool = False
    bundled_consent: bool = False
    face_required_for_service: bool = False
    signage: bool = False
    processing_rules_published: bool = False
    notice_covers: frozenset[NoticeItem] = frozenset()
    face_only_entry: bool = False
    alternatives: tuple[str, ...] = ()
    storage: Storage = Storage.CLOUD
    internet_transfer: bool = True
    retention_days: int | None = Field(default=None, ge=0)
    delete_on_withdrawal: bool = False
    impact_assessment: bool = False
    records_kept_years: float = Field(default=0, ge=0)
    people_stored: int = Field(default=0, ge=0)
    filed_with_cac: bool = False
    minors_under_14: bool = True
    guardian_consent: bool = False
    private_spaces: frozenset[PrivateSpace] = frozenset()
    non_consenting: NonConsenting = NonConsenting.UNDECLARED
    security_measures: frozenset[Security] = frozenset()
    credit_information_provider: bool = False
    property_service: bool = False
    recognition_area_marked: bool = False


class VeilGate(_Strict):
    """A site that runs ``veil gate`` (the ``veil_gate:`` form); see docs/check.md."""

    site: str = Field(min_length=1)
    scenario: Scenario
    city: str | None = None
    public_place: bool = True
    purpose: str = ""
    purpose_category: PurposeCategory = PurposeCategory.ACCESS_CONTROL
    consent_purpose: str | None = Field(
        default=None, description="the consent purpose the gate runs with (veil gate --purpose)"
    )
    mode: GateRedaction = Field(
        default=GateRedaction.BLUR, description="veil gate --mode for faces without consent"
    )
    match_threshold: float | None = Field(
        default=None,
        ge=0.05,
        le=1.5,
        description="veil gate --match-threshold (default: Veil's measured threshold)",
    )
    signage: bool = False
    processing_rules_published: bool = False
    notice_covers: frozenset[NoticeItem] = frozenset()
    alternatives: tuple[str, ...] = ()
    vault: Storage = Storage.DEVICE
    retention_days: int | None = Field(default=None, ge=0)
    impact_assessment: bool = False
    ledger_retention_years: float = Field(default=0, ge=0)
    people_enrolled: int = Field(default=0, ge=0)
    filed_with_cac: bool = False
    minors_under_14: bool = True
    guardian_consent: bool = False
    private_spaces: frozenset[PrivateSpace] = frozenset()
    extra_security: frozenset[Security] = frozenset()
    property_service: bool = False
    recognition_area_marked: bool = False

    @field_validator("consent_purpose")
    @classmethod
    def _purpose_name(cls, value: str | None) -> str | None:
        if value is not None and not _PURPOSE_NAME.match(value):
            raise ValueError(
                "a consent purpose is 1-64 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter (as given to veil gate --purpose)"
            )
        return value

    def as_deployment(self) -> Deployment:
        """The deployment this gate amounts to, with what ``veil gate`` guarantees filled in."""
        return Deployment(
            name=self.site,
            scenario=self.scenario,
            city=self.city,
            public_place=self.public_place,
            purpose=self.purpose,
            purpose_category=self.purpose_category,
            legal_basis=LegalBasis.CONSENT,
            # a Veil consent record is granted by the person for one purpose, apart from any
            # other terms, and `veil consent withdraw` revokes it
            separate_consent=True,
            consent_withdrawal=True,
            bundled_consent=False,
            face_required_for_service=False,
            signage=self.signage,
            processing_rules_published=self.processing_rules_published,
            notice_covers=self.notice_covers,
            face_only_entry=not self.alternatives,
            alternatives=self.alternatives,
            storage=self.vault,
            internet_transfer=self.vault is Storage.CLOUD,
            retention_days=self.retention_days,
            # withdrawal destroys the subject's key and row (crypto-shredding)
            delete_on_withdrawal=True,
            impact_assessment=self.impact_assessment,
            records_kept_years=self.ledger_retention_years,
            people_stored=self.people_enrolled,
            filed_with_cac=self.filed_with_cac,
            minors_under_14=self.minors_under_14,
            guardian_consent=self.guardian_consent,
            private_spaces=self.private_spaces,
            # the gate redacts every face without a consent match and forgets its embedding,
            # unless it was configured with the debugging mode that shows faces
            non_consenting=(
                NonConsenting.SHOWN if self.mode is GateRedaction.NONE else NonConsenting.ANONYMIZE
            ),
            # templates are AES-GCM encrypted per subject; every processing goes to the ledger
            security_measures=self.extra_security | {Security.ENCRYPTION, Security.AUDIT},
            property_service=self.property_service,
            recognition_area_marked=self.recognition_area_marked,
        )


def parse_deployment(source: SourceFile) -> tuple[Deployment, tuple[str, ...], VeilGate | None]:
    """Validate a parsed file; return the deployment, the key path of its body and the gate
    configuration it came from (None for the ``deployment:`` form)."""
    keys = set(source.data)
    if keys == {"deployment"}:
        model: type[_Strict] = Deployment
        root = "deployment"
    elif keys == {"veil_gate"}:
        model, root = VeilGate, "veil_gate"
    else:
        raise CheckInputError(
            f"deployment {source.path}: the file must hold exactly one top-level key, "
            "'deployment' or 'veil_gate' (see docs/check.md)"
        )
    body = source.data[root]
    if not isinstance(body, dict):
        raise CheckInputError(f"deployment {source.path}: '{root}' must be a mapping")
    try:
        parsed: Any = model.from_file(body)
    except ValidationError as exc:
        raise CheckInputError(validation_message(exc, source, "deployment", (root,))) from exc
    if isinstance(parsed, VeilGate):
        return parsed.as_deployment(), (root,), parsed
    return parsed, (root,), None


Rule = Callable[[Deployment], str | None]
"""A deployment rule: the finding's message when the rule fires, else None."""


def _separate_consent(d: Deployment) -> str | None:
    if d.legal_basis is LegalBasis.CONSENT and not d.separate_consent:
        return "face processing rests on consent, but no separate consent is asked"
    return None


def _withdrawal(d: Deployment) -> str | None:
    if d.legal_basis is LegalBasis.CONSENT and not d.consent_withdrawal:
        return "people cannot conveniently withdraw their consent"
    return None


def _notice(d: Deployment) -> str | None:
    missing = sorted(set(NoticeItem) - d.notice_covers)
    problems = []
    if missing:
        problems.append("the notice does not cover " + ", ".join(missing))
    if not d.processing_rules_published:
        problems.append("the face-processing rules are not published")
    return "; ".join(problems) or None


def _signage(d: Deployment) -> str | None:
    if d.public_place and not d.signage:
        return "devices in a public place without prominent notice signs"
    return None


def _public_purpose(d: Deployment) -> str | None:
    if (
        d.public_place
        and d.purpose_category is not PurposeCategory.PUBLIC_SECURITY
        and not d.separate_consent
    ):
        return (
            f"images from a public place are used for {d.purpose_category.value}, not public "
            "security, without separate consent"
        )
    return None


def _alternative(d: Deployment) -> str | None:
    if d.face_only_entry or not d.alternatives:
        return "face recognition is the only way through; offer another reasonable method"
    return None


def _storage(d: Deployment) -> str | None:
    if d.legal_basis is LegalBasis.LAW:
        return None
    if (d.storage is not Storage.DEVICE or d.internet_transfer) and not d.separate_consent:
        where = d.storage.value + (", sent over the internet" if d.internet_transfer else "")
        return f"face information is stored outside the device ({where}) without separate consent"
    return None


def _retention(d: Deployment) -> str | None:
    if d.retention_days is None:
        return "no retention period is set for face information"
    return None


def _deletion(d: Deployment) -> str | None:
    if not d.delete_on_withdrawal:
        return "face information is not deleted when consent is withdrawn"
    return None


def _assessment(d: Deployment) -> str | None:
    if not d.impact_assessment:
        return "no personal-information-protection impact assessment was made before processing"
    return None


def _records(d: Deployment) -> str | None:
    if d.records_kept_years < RECORDS_MIN_YEARS:
        return (
            f"assessment report and processing records are kept {d.records_kept_years:g} years, "
            f"less than {RECORDS_MIN_YEARS}"
        )
    return None


def _filing(d: Deployment) -> str | None:
    if d.people_stored >= FILING_THRESHOLD and not d.filed_with_cac:
        return (
            f"face information of {d.people_stored:,} people is stored (threshold "
            f"{FILING_THRESHOLD:,}) but the deployment is not filed with the provincial CAC office"
        )
    return None


def _minors(d: Deployment) -> str | None:
    if d.minors_under_14 and not d.guardian_consent:
        return (
            "children under 14 may be captured but no guardian consent is asked "
            "(declare minors_under_14: false if they cannot be)"
        )
    return None


def _private_space(d: Deployment) -> str | None:
    if d.private_spaces:
        places = ", ".join(sorted(p.value for p in d.private_spaces))
        return f"face-recognition devices in private spaces: {places}"
    return None


def _non_consenting(d: Deployment) -> str | None:
    if d.non_consenting not in (NonConsenting.ANONYMIZE, NonConsenting.DISCARD):
        return (
            f"faces of people who did not consent are {_FATE[d.non_consenting]}, not anonymized "
            "or discarded at capture"
        )
    return None


_FATE = {
    NonConsenting.STORE: "stored",
    NonConsenting.SHOWN: "shown unredacted",
    NonConsenting.UNDECLARED: "not declared",
    NonConsenting.ANONYMIZE: "anonymized",
    NonConsenting.DISCARD: "discarded",
}


def _coercion(d: Deployment) -> str | None:
    if d.face_required_for_service or d.bundled_consent:
        how = "a condition of the service" if d.face_required_for_service else "bundled"
        return f"consent to face recognition is {how}"
    return None


def _security(d: Deployment) -> str | None:
    missing = sorted(s.value for s in REQUIRED_SECURITY - d.security_measures)
    if missing:
        return "face information lacks " + ", ".join(missing)
    return None


def _purpose(d: Deployment) -> str | None:
    if len(d.purpose.strip()) < 3:
        return "no specific purpose is stated"
    return None


def _hangzhou(d: Deployment) -> str | None:
    property_area = d.property_service or d.scenario is Scenario.RESIDENTIAL_GATE
    if property_area and (d.face_only_entry or not d.alternatives):
        return "a property-service provider in Hangzhou makes biometric entry compulsory"
    return None


def _tianjin(d: Deployment) -> str | None:
    if d.credit_information_provider:
        return "a market credit-information provider in Tianjin collects face information"
    return None


def _nanjing(d: Deployment) -> str | None:
    if d.scenario is Scenario.SALES_OFFICE and not d.separate_consent:
        return "a Nanjing sales office captures visitors' faces without their consent"
    return None


def _kunming(d: Deployment) -> str | None:
    if d.scenario is not Scenario.SALES_OFFICE:
        return None
    problems = []
    if d.face_only_entry or not d.alternatives or d.face_required_for_service:
        problems.append("visitors are forced to use face recognition")
    if not d.recognition_area_marked:
        problems.append("the recognition area and purpose are not marked")
    if not d.separate_consent:
        problems.append("faces are collected without consent")
    return "; ".join(problems) or None


DEPLOYMENT_RULES: dict[str, tuple[Rule, str]] = {
    "VEIL-DEP-001": (_separate_consent, "separate_consent"),
    "VEIL-DEP-002": (_withdrawal, "consent_withdrawal"),
    "VEIL-DEP-003": (_notice, "notice_covers"),
    "VEIL-DEP-004": (_signage, "signage"),
    "VEIL-DEP-005": (_public_purpose, "purpose_category"),
    "VEIL-DEP-006": (_alternative, "alternatives"),
    "VEIL-DEP-007": (_storage, "storage"),
    "VEIL-DEP-008": (_retention, "retention_days"),
    "VEIL-DEP-009": (_deletion, "delete_on_withdrawal"),
    "VEIL-DEP-010": (_assessment, "impact_assessment"),
    "VEIL-DEP-011": (_records, "records_kept_years"),
    "VEIL-DEP-012": (_filing, "filed_with_cac"),
    "VEIL-DEP-013": (_minors, "guardian_consent"),
    "VEIL-DEP-014": (_private_space, "private_spaces"),
    "VEIL-DEP-015": (_non_consenting, "non_consenting"),
    "VEIL-DEP-016": (_coercion, "face_required_for_service"),
    "VEIL-DEP-017": (_security, "security_measures"),
    "VEIL-DEP-018": (_purpose, "purpose"),
}
"""National rules: check id -> (rule, the deployment field a finding points to)."""

LOCAL_RULES: dict[str, tuple[Rule, str]] = {
    "VEIL-LOCAL-HANGZHOU-001": (_hangzhou, "alternatives"),
    "VEIL-LOCAL-TIANJIN-001": (_tianjin, "credit_information_provider"),
    "VEIL-LOCAL-NANJING-001": (_nanjing, "separate_consent"),
    "VEIL-LOCAL-KUNMING-001": (_kunming, "scenario"),
}
"""Local rules, applied where the deployment's city is the rule's city."""

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


def _gate_threshold(gate: VeilGate) -> str | None:
    from veil.consent.matching import DEFAULT_THRESHOLD

    if gate.match_threshold is not None and gate.match_threshold > DEFAULT_THRESHOLD:
        return (
            f"the gate matches faces up to distance {gate.match_threshold:g}, looser than "
            f"{DEFAULT_THRESHOLD:g}, the threshold Veil measured for a false-accept rate of at "
            "most 1e-3: more people who did not consent are recognized and shown"
        )
    return None


GATE_RULES: dict[str, tuple[Callable[[VeilGate], str | None], str]] = {
    "VEIL-GATE-001": (_gate_threshold, "match_threshold"),
}
"""Rules on the veil gate configuration itself: check id -> (rule, the gate field)."""


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
