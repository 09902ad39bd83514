"""The consent policy for the pipeline: recognize the consenting, redact and forget everyone else.

:class:`ConsentGate` is a :class:`~veil.vision.policy.FacePolicy`. For each frame it embeds the
faces large enough to recognize, matches them 1:N against the templates of subjects whose consent
for the gate's purpose is valid *now*, and

* keeps a face visible (optionally labelled) only when it matches such a subject closer than the
  threshold, after logging an ``identify`` event under the subject's pseudonym;
* redacts every other face. Its embedding is never stored, logged or returned: it lives in a local
  array that is zeroed as soon as matching is done, and nothing about it (distance, box) leaves
  the gate.

Fail closed, everywhere: a face too small to recognize, two faces matching the same subject in one
frame (one of them must be a false match), a consent that lapsed or was withdrawn since the gate
opened, a ledger that refuses the ``identify`` event, or any error at all (the pipeline then
redacts the whole frame) ends in redaction.

In video, faces carry the tracker's ids. A track found *not* to match is redacted without being
embedded again for ``recheck_frames`` frames (only its id and a frame count are kept, never its
embedding); a track that matched is re-verified on every frame, so a tracker that swaps two
people can never carry a kept verdict onto someone else.

``identify`` events are rate-limited per subject: the first match logs at once, later matches are
counted and logged at most every ``event_interval`` seconds, and :meth:`ConsentGate.close` flushes
the rest, so a video does not write one event per frame.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as time_of_day

import numpy as np

from veil.consent.events import EventSink
from veil.consent.gate_settings import GateSettings
from veil.consent.matching import Gallery
from veil.consent.records import ConsentRecord, ConsentState, utcnow
from veil.consent.registry import ConsentRegistry
from veil.consent.vault import Template
from veil.errors import ConfigError
from veil.ledger.events import Event
from veil.vision.detections import Detections
from veil.vision.embeddings import Embedder
from veil.vision.policy import FaceDecisions, Frame

SYSTEM = "veil-gate"
IDENTIFY_CATEGORIES = ["biometric.facial_image", "biometric.facial_template"]


@dataclass
class _Pending:
    record: ConsentRecord
    count: int = 0
    last_logged: float = -float("inf")


class ConsentGate:
    """Keeps the faces of subjects with valid consent for ``purpose``; redacts the rest.

    ``records[i]`` owns the templates with ``owners == i`` in ``gallery``. Build one with
    :meth:`open` (from the registry and vault) or directly (tests, benchmarks).
    """

    def __init__(
        self,
        purpose: str,
        records: Sequence[ConsentRecord],
        gallery: Gallery,
        embedder: Embedder,
        sink: EventSink,
        settings: GateSettings | None = None,
        *,
        registry: ConsentRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        if len(gallery) and int(gallery.owners.max()) >= len(records):
            raise ValueError("gallery owners index past the records given")
        if len(gallery) and gallery.dim != embedder.dim:
            raise ConfigError(
                f"templates have {gallery.dim} dimensions, the embedder {embedder.name} gives "
                f"{embedder.dim}"
            )
        self.purpose = purpose
        self.records = list(records)
        self.gallery = gallery
        self.embedder = embedder
        self.sink = sink
        self.settings = settings or GateSettings()
        self.registry = registry
        self._clock = clock
        self._now = now
        self._revoked = np.zeros(len(self.records), dtype=bool)
        self._not_before, self._not_after = _validity_windows(self.records, purpose)
        self._index = {r.record_id: i for i, r in enumerate(self.records)}
        self._last_refresh = clock()
        self._pending: dict[str, _Pending] = {}
        self._frame = 0
        self._unmatched: dict[int, int] = {}  # track id -> frame of its last failed match
        self._lock = threading.Lock()
        self.identified = 0  # faces kept since the gate opened

    @classmethod
    def open(
        cls,
        registry: ConsentRegistry,
        purpose: str,
        embedder: Embedder,
        settings: GateSettings | None = None,
    ) -> ConsentGate:
        """Load the templates of every subject with valid consent for ``purpose``.

        Shreds expired consents first (so their templates are gone, not merely skipped). Needs the
        registry's vault (the master key) to decrypt templates.
        """
        registry.purpose(purpose)
        if registry.vault is None:
            raise ConfigError("the consent gate needs the master key to read face templates")
        registry.vault.check_master()  # a missing or wrong master key fails here, clearly
        registry.expire_due()
        records = registry.valid_records(purpose)
        index = {r.record_id: i for i, r in enumerate(records)}
        templates: list[Template] = []
        if records:
            templates = [
                t
                for t in registry.vault.templates(
                    sorted({r.subject for r in records}), model=embedder.name
                )
                if t.record_id in index
            ]
        vectors = np.asarray([t.vector for t in templates], dtype=np.float32)
        gallery = (
            Gallery.build(
                vectors.reshape(len(templates), -1), [index[t.record_id] for t in templates]
            )
            if templates
            else Gallery.empty(embedder.dim)
        )
        return cls(purpose, records, gallery, embedder, registry.sink, settings, registry=registry)

    @property
    def subjects(self) -> int:
        """How many consenting subjects have templates in the gallery."""
        return len(set(self.gallery.owners.tolist()))

    # -- consent state ------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Re-read record states: a withdrawal elsewhere takes effect within ``refresh_seconds``."""
        if self.registry is None or not self.records:
            return
        if self._clock() - self._last_refresh < self.settings.refresh_seconds:
            return
        given = set(self.registry.record_ids(state=ConsentState.GIVEN))
        for record_id, i in self._index.items():
            if record_id not in given:
                self._revoked[i] = True
        self._last_refresh = self._clock()

    def revoke(self, record_id: str) -> None:
        """Stop matching the templates of ``record_id`` at once (e.g. on a withdrawal event)."""
        i = self._index.get(record_id)
        if i is not None:
            self._revoked[i] = True

    def _allowed(self, at: datetime) -> np.ndarray:
        """Owners that may be matched at ``at`` (vectorized; every kept face is also checked
        against :meth:`ConsentRecord.is_valid`, the one rule)."""
        now = at.timestamp()
        return (self._not_before <= now) & (now < self._not_after) & ~self._revoked

    # -- the policy ---------------------------------------------------------------------------
    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        """Keep faces of consenting subjects (after logging ``identify``); redact the rest."""
        count = len(detections)
        redact = np.ones(count, dtype=bool)
        labels: list[str | None] = [None] * count
        if count == 0 or len(self.gallery) == 0:
            return FaceDecisions(redact, labels)
        with self._lock:
            self._refresh()
            now = self._now()
            allowed = self._allowed(now)
            if not allowed.any():
                return FaceDecisions(redact, labels)
            height, width = frame.shape[:2]
            faces = _clip(detections, width, height)  # same length and order as detections
            sides = np.minimum(faces.widths, faces.heights)
            fresh = self._needs_embedding(faces.track_ids, count)
            candidates = np.flatnonzero((sides >= self.settings.min_face) & fresh)
            if len(candidates) == 0:
                return FaceDecisions(redact, labels)
            embeddings = self.embedder.embed(frame, faces[candidates.astype(np.int64)])
            try:
                owners, _ = self.gallery.match(embeddings, self.settings.threshold, allowed=allowed)
            finally:
                embeddings.fill(0.0)  # forget: nothing of a face's embedding outlives matching
                del embeddings
            if faces.track_ids is not None:
                for face, owner in zip(candidates.tolist(), owners.tolist(), strict=True):
                    if owner < 0:
                        self._unmatched[int(faces.track_ids[face])] = self._frame
            matched = owners[owners >= 0]
            subjects = [self.records[int(o)].subject for o in matched]
            ambiguous = {s for s in subjects if subjects.count(s) > 1}
            for face, owner in zip(candidates.tolist(), owners.tolist(), strict=True):
                if owner < 0:
                    continue
                record = self.records[owner]
                if record.subject in ambiguous or not record.is_valid(self.purpose, now):
                    continue
                self._log_identify(record)
                redact[face] = False
                labels[face] = self._label(record)
                self.identified += 1
        return FaceDecisions(redact, labels)

    def _needs_embedding(self, track_ids: np.ndarray | None, count: int) -> np.ndarray:
        """Which faces to embed this frame: all, except tracks that failed to match recently."""
        self._frame += 1
        if track_ids is None:
            return np.ones(count, dtype=bool)
        present = {int(t) for t in track_ids}
        self._unmatched = {t: f for t, f in self._unmatched.items() if t in present}
        horizon = self._frame - self.settings.recheck_frames
        return np.array([self._unmatched.get(int(t), horizon) <= horizon for t in track_ids])

    def _label(self, record: ConsentRecord) -> str | None:
        if self.settings.label == "subject":
            return record.subject
        if self.settings.label == "pseudonym":
            return self.sink.pseudonym(record.subject)[:12]
        return None

    # -- events -------------------------------------------------------------------------------
    def _event(self, record: ConsentRecord, faces: int) -> Event:
        return Event.new(
            action="identify",
            controller=record.controller,
            system=SYSTEM,
            data_categories=list(IDENTIFY_CATEGORIES),
            purpose=self.purpose,
            legal_basis="consent",
            separate_consent=True,
            consent_ref=record.record_id,
            subject_pseudonym=self.sink.pseudonym(record.subject),
            counts={"faces": faces},
        )

    def _log_identify(self, record: ConsentRecord) -> None:
        """Log now (first match, or the interval passed) or count for later. Raises on failure,
        before the face is kept: an identification that cannot be recorded does not happen."""
        pending = self._pending.setdefault(record.record_id, _Pending(record))
        tick = self._clock()
        if tick - pending.last_logged >= self.settings.event_interval:
            self.sink.append(self._event(record, pending.count + 1))
            pending.count = 0
            pending.last_logged = tick
        else:
            pending.count += 1

    def close(self) -> None:
        """Log the matches counted since each subject's last ``identify`` event."""
        with self._lock:
            for pending in self._pending.values():
                if pending.count:
                    self.sink.append(self._event(pending.record, pending.count))
                    pending.count = 0


def _validity_windows(
    records: Sequence[ConsentRecord], purpose: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per record, the POSIX times between which it can be valid for ``purpose`` (given, for the
    purpose, a guardian's consent or the 14th birthday passed; until expiry). Never valid: +inf."""
    not_before = np.full(len(records), np.inf)
    not_after = np.full(len(records), -np.inf)
    for i, record in enumerate(records):
        if record.state is not ConsentState.GIVEN or purpose not in record.purposes:
            continue
        start = record.given_at.timestamp()
        if record.guardian is None and record.under_14:
            continue
        if record.guardian is None and record.birth_date is not None:
            born = record.birth_date
            try:
                fourteen = born.replace(year=born.year + 14)
            except ValueError:  # 29 February
                fourteen = born.replace(year=born.year + 14, day=28)
            # a day late on purpose: the exact rule (is_valid) decides on kept faces anyway
            start = max(start, datetime.combine(fourteen, time_of_day.min, UTC).timestamp() + 86400)
        not_before[i] = start
        not_after[i] = record.expires_at.timestamp()
    return not_before, not_after


def _clip(detections: Detections, width: int, height: int) -> Detections:
    """Boxes clipped to the frame, none dropped (an emptied box gets size 0 and is redacted)."""
    boxes = detections.boxes.copy()
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    return Detections(boxes, detections.scores, detections.landmarks, detections.track_ids)
