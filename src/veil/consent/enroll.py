"""Enrollment: photos of a consenting person -> encrypted face templates.

Each photo must show exactly one face (a second face, even small, is an error: Veil cannot tell
whose face would be enrolled). Every photo is checked before anything is stored, so a bad photo
in a batch changes nothing. Consent is checked by the registry, in the same transaction that stores
the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from veil.consent.records import ConsentRecord
from veil.consent.registry import ConsentError, ConsentRegistry
from veil.core.frame import Frame
from veil.core.shown import Block
from veil.errors import BadInputError, ConfigError
from veil.media.images import read_image
from veil.vision.detections import Detections
from veil.vision.detectors import Detector
from veil.vision.embeddings import Embedder

ENROLL_THRESHOLD = 0.5  # detector score for a face to count on an enrollment photo
SECOND_FACE_RATIO = 0.15  # a second face counts when its short side is >= this share of the first
MIN_FACE_PIXELS = 48  # the enrolled face's short side, in pixels


class EnrollmentError(BadInputError):
    """A photo that cannot be enrolled (no face, several faces, too small, unreadable)."""


@dataclass(frozen=True)
class Enrollment:
    """The outcome: the consent used, the ids of the stored templates, the photos, the purpose."""

    record: ConsentRecord
    template_ids: list[str]
    photos: list[str]
    purpose: str = ""

    def to_json(self) -> dict[str, Any]:
        """Record id, subject, purpose, template count and photos (never a template)."""
        return {
            "record": self.record.record_id,
            "subject": self.record.subject,
            "purpose": self.purpose,
            "templates": len(self.template_ids),
            "photos": self.photos,
        }

    def text(self) -> list[Block]:
        """One line: how many templates were stored for whom, under which consent."""
        return [
            f"{len(self.template_ids)} template(s) stored for {self.record.subject} "
            f"under consent {self.record.record_id}"
        ]


@dataclass(frozen=True)
class EnrollRequest:
    """``veil consent enroll``: photos of ``subject`` for ``purpose``, found by ``detector``
    (a registered name; ``None``: the default detector)."""

    subject: str
    purpose: str
    photos: tuple[Path, ...]
    detector: str | None = None


def single_face(path: str, frame: Frame, detections: Detections) -> Detections:
    """The one face of an enrollment photo, or :class:`EnrollmentError`."""
    faces = detections.filter_score(ENROLL_THRESHOLD)
    if len(faces) == 0:
        raise EnrollmentError(f"{path}: no face found; use a clear, frontal photo of one person")
    sides = np.minimum(faces.widths, faces.heights)
    order = np.argsort(-sides)
    largest = float(sides[order[0]])
    if len(faces) > 1 and float(sides[order[1]]) >= SECOND_FACE_RATIO * largest:
        raise EnrollmentError(
            f"{path}: {int(np.sum(sides >= SECOND_FACE_RATIO * largest))} faces found; "
            "an enrollment photo must show exactly one face"
        )
    if largest < MIN_FACE_PIXELS:
        raise EnrollmentError(
            f"{path}: the face is too small ({largest:.0f} px, at least {MIN_FACE_PIXELS} px needed)"
        )
    return faces[np.asarray([order[0]], dtype=np.int64)]


def embed_photos(
    photos: Sequence[Path], detector: Detector, embedder: Embedder
) -> npt.NDArray[np.float32]:
    """One embedding per photo (``[k, dim]``); any unusable photo raises before returning."""
    vectors = []
    for photo in photos:
        frame = read_image(photo).pixels
        face = single_face(str(photo), frame, detector.detect(frame))
        vectors.append(embedder.embed(frame, face)[0])
    return np.asarray(vectors, dtype=np.float32).reshape(len(vectors), embedder.dim)


def enroll(
    registry: ConsentRegistry,
    subject: str,
    purpose: str,
    photos: Sequence[Path],
    detector: Detector,
    embedder: Embedder,
) -> Enrollment:
    """Check consent, embed every photo, then store all templates at once (or none)."""
    if not photos:
        raise EnrollmentError("enrollment needs at least one photo")
    registry.purpose(purpose)
    if registry.vault is None:
        raise ConfigError("enrollment needs the template vault (the master key)")
    registry.vault.master  # noqa: B018 - a missing master key fails here, before any work
    if registry.valid_consent(subject, purpose) is None:
        raise ConsentError(registry.why_no_consent(subject, purpose))
    vectors = embed_photos(photos, detector, embedder)
    record, ids = registry.add_templates(subject, purpose, embedder.name, vectors)
    return Enrollment(record, ids, [str(p) for p in photos], purpose)


def enroll_photos(registry: ConsentRegistry, request: EnrollRequest) -> Enrollment:
    """:func:`enroll` with the named detector (score 0.3, enrollment keeps 0.5 and up) and the
    default embedder."""
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    detector = get_detector(request.detector or DEFAULT_DETECTOR, DetectorSettings(threshold=0.3))
    return enroll(
        registry, request.subject, request.purpose, request.photos, detector, get_embedder()
    )
