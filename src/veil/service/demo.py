"""The world ``veil serve --demo`` shows: a sales office with two cameras, a gate that recognises
only people who consented, a few hundred events and checkpoints cosigned by a local witness.

:func:`seed_demo` writes everything into one (temporary) home with the same layout a real
operator's ``$VEIL_HOME`` has, using the same library calls the CLI uses, so the service started
on that home behaves exactly as it does in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.consent.vault import MasterKey, Vault
from veil.ledger import Event, Ledger
from veil.ledger.witness import Witness

CONTROLLER = "Riverside Garden sales office"
GREETING = "returning-visitor"
COUNTING = "visitor-count"
NOTICE = (
    b"Riverside Garden sales office: cameras at the entrance and the model room redact every "
    b"face as it is captured. Visitors who consent separately are recognised at the desk so "
    b"their agent can greet them; say your name at the desk instead if you prefer."
)


@dataclass(frozen=True)
class DemoCamera:
    """A camera of the demo office (``system`` is what its ledger events name)."""

    name: str
    system: str
    location: str


CAMERAS = (
    DemoCamera("entrance", "veil-stream/entrance", "front door, facing the street"),
    DemoCamera("model-room", "veil-stream/model-room", "show flat on the 2nd floor"),
)

DEPLOYMENT = {
    "deployment": {
        "name": CONTROLLER,
        "scenario": "sales_office",
        "city": "Nanjing",
        "public_place": True,
        "purpose": "count visitors; greet returning visitors who consented",
        "purpose_category": "marketing",
        "legal_basis": "consent",
        "separate_consent": True,
        "consent_withdrawal": True,
        "signage": True,
        "processing_rules_published": True,
        "notice_covers": [
            "processor",
            "purpose",
            "method",
            "retention",
            "necessity_and_impact",
            "rights",
        ],
        "face_only_entry": False,
        "alternatives": ["say your name at the desk"],
        "storage": "device",
        "internet_transfer": False,
        "retention_days": 30,
        "delete_on_withdrawal": True,
        "impact_assessment": True,
        "records_kept_years": 3,
        "people_stored": 40,
        "filed_with_cac": False,
        "minors_under_14": False,
        "private_spaces": [],
        "non_consenting": "discard",
        "security_measures": ["encryption", "access_control", "audit"],
    }
}


@dataclass
class DemoSeed:
    """What :func:`seed_demo` made: paths, names and counts the service and the CLI print."""

    home: Path
    db_url: str
    deployment: Path
    witness_dir: Path
    cameras: tuple[DemoCamera, ...] = CAMERAS
    subjects: list[str] = field(default_factory=list)
    enrolled: str | None = None
    consent_ids: dict[str, str] = field(default_factory=dict)
    events: int = 0
    checkpoints: int = 0


def _ledger_events(rng: random.Random, start: datetime, count: int) -> list[Event]:
    """``count`` anonymised camera segments, one every few minutes from ``start``."""
    events = []
    for i in range(count):
        camera = CAMERAS[i % len(CAMERAS)]
        faces = rng.randint(0, 6)
        events.append(
            Event.new(
                action="anonymize",
                controller=CONTROLLER,
                system=camera.system,
                data_categories=["biometric.facial_image", "image.anonymized"],
                purpose=COUNTING,
                legal_basis="other_law",
                counts={"frames": 1500, "faces_redacted": faces * 40, "frames_blanked": 0},
                time=start + timedelta(minutes=3 * i),
            )
        )
    return events


def _identify_events(registry: ConsentRegistry, subject: str, record_id: str) -> list[Event]:
    """The desk camera recognising the enrolled visitor on three visits (as the gate logs it)."""
    return [
        Event.new(
            action="identify",
            controller=CONTROLLER,
            system="veil-gate/desk",
            data_categories=["biometric.facial_template"],
            purpose=GREETING,
            legal_basis="consent",
            separate_consent=True,
            consent_ref=record_id,
            subject_pseudonym=registry.sink.pseudonym(subject),
            counts={"faces": faces},
        )
        for faces in (1, 2, 1)
    ]


def _enroll_sample(registry: ConsentRegistry, subject: str, home: Path) -> bool:
    """Enroll ``subject`` from scikit-image's astronaut photo; False when the models are absent."""
    try:
        from skimage import data

        from veil.consent.enroll import enroll
        from veil.media.images import write_image
        from veil.vision.detectors import get_detector
        from veil.vision.embeddings import get_embedder
    except ImportError:
        return False
    photo = home / "enrollment-sample.png"
    write_image(photo, data.astronaut()[:, :, ::-1].copy())  # type: ignore[no-untyped-call]
    try:
        enroll(registry, subject, GREETING, [photo], get_detector("centerface"), get_embedder())
    finally:
        photo.unlink(missing_ok=True)
    return True


def seed_demo(
    home: Path, *, events: int = 300, enroll_sample: bool = True, seed: int = 7
) -> DemoSeed:
    """Fill the empty folder ``home`` with the demo office; deterministic for a given ``seed``."""
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    if any(home.iterdir()):
        raise FileExistsError(f"{home} is not empty; the demo only seeds a fresh home")
    rng = random.Random(seed)
    db_url = f"sqlite:///{home / 'veil.db'}"
    deployment = home / "deployment-sales-office.yaml"
    deployment.write_text(yaml.safe_dump(DEPLOYMENT, sort_keys=False, allow_unicode=True))
    master = MasterKey.generate()
    master.write(home / "master.key")
    witness = Witness.create(home / "witness", "witness.demo.veil.example")
    result = DemoSeed(home=home, db_url=db_url, deployment=deployment, witness_dir=witness.folder)
    with Ledger.open(db_url, key_dir=home / "ledger") as ledger:
        witness.add_log(ledger.vkey)
        start = datetime.now(UTC) - timedelta(minutes=3 * events)
        history = _ledger_events(rng, start, events)
        for offset in range(0, len(history), 100):
            ledger.append_many(history[offset : offset + 100])
            ledger.checkpoint([witness])
        store = ConsentStore(db_url)
        try:
            _consents(ConsentRegistry(store, ledger, Vault(store, master)), result, enroll_sample)
        finally:
            store.close()
        ledger.checkpoint([witness])
        result.events = ledger.head().size
        result.checkpoints = len(ledger.checkpoints())
    return result


def _consents(registry: ConsentRegistry, result: DemoSeed, enroll_sample: bool) -> None:
    """Purposes, five visitors' consents, the first enrolled and recognised, the last withdrawn."""
    registry.declare_purpose(COUNTING, description="count visitors; faces redacted at capture")
    registry.declare_purpose(
        GREETING,
        description="recognise returning visitors who consented, so their agent greets them",
        alternative="say your name at the desk",
    )
    for n in range(1, 6):
        subject = f"visitor-{n:03d}"
        record = registry.grant(
            subject=subject,
            controller=CONTROLLER,
            purposes=[GREETING],
            notice_version="2026-11",
            notice_digest=notice_digest(NOTICE),
            collection_method="tablet at the desk",
            valid_for=timedelta(days=180),
        )
        result.subjects.append(subject)
        result.consent_ids[subject] = record.record_id
    first = result.subjects[0]
    if enroll_sample and _enroll_sample(registry, first, result.home):
        result.enrolled = first
        for event in _identify_events(registry, first, result.consent_ids[first]):
            registry.sink.append(event)
    registry.withdraw(result.consent_ids[result.subjects[-1]])
