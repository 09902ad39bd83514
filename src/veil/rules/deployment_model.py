"""The two forms of a face-recognition deployment file and their parsing.

``deployment:`` states every obligation explicitly (:class:`Deployment`); ``veil_gate:`` is a
site running ``veil gate`` (:class:`VeilGate`), which Veil turns into a :class:`Deployment` by
filling in what its gate guarantees by construction. The checks run on them live in
:mod:`veil.rules.deployment_checks`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError, field_validator

from veil.rules.models import CheckInputError
from veil.rules.source import SourceFile, validation_message
from veil.rules.strict import FileModel as _Strict

FILING_THRESHOLD = 100_000
_PURPOSE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")  # as veil.consent names purposes
RECORDS_MIN_YEARS = 3


class Scenario(StrEnum):
    """Where the cameras stand (the deployment file's ``scenario``)."""

    SALES_OFFICE = "sales_office"
    RESIDENTIAL_GATE = "residential_gate"
    SHOP = "shop"
    OFFICE_ATTENDANCE = "office_attendance"
    HOTEL = "hotel"
    SCHOOL = "school"
    TRANSPORT = "transport"
    OTHER = "other"


class PurposeCategory(StrEnum):
    """What face recognition is used for (``purpose_category``)."""

    PUBLIC_SECURITY = "public_security"
    ACCESS_CONTROL = "access_control"
    ATTENDANCE = "attendance"
    PAYMENT = "payment"
    IDENTITY_VERIFICATION = "identity_verification"
    MARKETING = "marketing"
    ANALYTICS = "analytics"
    OTHER = "other"


class LegalBasis(StrEnum):
    """Why the processing is lawful: the people's consent, or a law that requires it."""

    CONSENT = "consent"
    LAW = "law"


class Storage(StrEnum):
    """Where face data is kept: on the device, on a local server or in the cloud."""

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
    """What a notice tells people; the checks require every item."""

    PROCESSOR = "processor"
    PURPOSE = "purpose"
    METHOD = "method"
    RETENTION = "retention"
    NECESSITY_AND_IMPACT = "necessity_and_impact"
    RIGHTS = "rights"


class PrivateSpace(StrEnum):
    """Private spaces where face-recognition devices must not be installed."""

    HOTEL_ROOM = "hotel_room"
    PUBLIC_BATH = "public_bath"
    CHANGING_ROOM = "changing_room"
    TOILET = "toilet"


class Security(StrEnum):
    """A security measure the deployment declares; some are required."""

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
