"""The rules a face-recognition deployment is checked against: each a function of the
:class:`~veil.rules.deployment_model.Deployment` (or of the ``veil gate`` configuration) that
returns a finding's message when it fires, in tables by check id."""

from __future__ import annotations

from collections.abc import Callable

from veil.rules.deployment_model import (
    FILING_THRESHOLD,
    RECORDS_MIN_YEARS,
    REQUIRED_SECURITY,
    Deployment,
    LegalBasis,
    NonConsenting,
    NoticeItem,
    PurposeCategory,
    Scenario,
    Storage,
    VeilGate,
)

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
