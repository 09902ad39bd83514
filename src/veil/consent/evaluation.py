"""Measure face matching on labelled identities: TAR at fixed FAR, and the threshold for each.

A labelled folder holds images and an ``identities.csv`` with columns ``image,person`` (``image``
relative to the folder holding the csv); a folder of such folders (``../shared/data/faces/
identities``) is searched recursively and each csv's persons are kept apart by the csv's folder.
Every image is embedded the way enrollment embeds it (the largest face the detector finds, aligned
by the embedder), then every pair of usable images is compared: pairs of the same person are
*genuine*, all others *impostor*.

For a false-accept target ``f`` the threshold is the largest distance that accepts at most
``floor(f * impostor_pairs)`` impostor pairs (a face matches when its distance is *below* the
threshold), and TAR is the share of genuine pairs it accepts. A target below ``1 / impostor_pairs``
cannot be measured on the data: it is reported with ``resolved = False``.

The *chosen* threshold is stricter than the point estimate for ``CHOSEN_FAR``: it is the largest
threshold whose one-sided 95% upper confidence bound on FAR (exact binomial, Clopper-Pearson) stays
at or below ``CHOSEN_FAR``, so that a few hundred more impostor pairs would not push the measured
FAR over the target. Veil's default (:data:`veil.consent.matching.DEFAULT_THRESHOLD`) is that
figure, rounded down, measured on ``../shared/data/faces/identities``.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from veil.core.shown import Block, TextTable
from veil.errors import BadInputError
from veil.vision.detections import Detections
from veil.vision.detectors import Detector
from veil.vision.embeddings import Embedder

IDENTITIES_FILE = "identities.csv"
FAR_TARGETS: tuple[float, ...] = (1e-2, 1e-3, 1e-4)
CHOSEN_FAR = 1e-3
FACE_THRESHOLD = 0.5  # detector score for the face of a labelled photo


@dataclass(frozen=True)
class IdentityImage:
    """One labelled photo: its path and its person (``dataset/person``, unique across csvs)."""

    path: Path
    person: str


@dataclass(frozen=True)
class OperatingPoint:
    """TAR and measured FAR at the threshold chosen for ``far_target``."""

    far_target: float
    threshold: float
    tar: float
    far: float
    false_accepts: int
    resolved: bool

    def to_dict(self) -> dict[str, Any]:
        """This operating point as JSON-ready values (rates rounded to 4 places)."""
        return {
            "far_target": self.far_target,
            "threshold": round(self.threshold, 4),
            "tar": round(self.tar, 4),
            "far": self.far,
            "false_accepts": self.false_accepts,
            "resolved": self.resolved,
        }


@dataclass
class IdentityReport:
    """The outcome of :func:`evaluate_identities`."""

    dataset: str
    model: str
    images: int
    usable: int
    persons: int
    genuine_pairs: int
    impostor_pairs: int
    points: list[OperatingPoint]
    chosen: OperatingPoint
    default_threshold: float
    default_point: OperatingPoint
    unusable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-ready values (the CLI's --json form)."""
        return {
            "dataset": self.dataset,
            "model": self.model,
            "images": self.images,
            "usable": self.usable,
            "persons": self.persons,
            "genuine_pairs": self.genuine_pairs,
            "impostor_pairs": self.impostor_pairs,
            "points": [p.to_dict() for p in self.points],
            "chosen_far": CHOSEN_FAR,
            "chosen_threshold": round(self.chosen.threshold, 4),
            "default_threshold": self.default_threshold,
            "default": self.default_point.to_dict(),
            "unusable": self.unusable,
            "seconds": round(self.seconds, 2),
        }

    def to_json(self) -> dict[str, Any]:
        """:meth:`to_dict` (the name every shown result has)."""
        return self.to_dict()

    def text(self) -> list[Block]:
        """The operating points as a table, then the chosen and the default threshold."""
        rows = tuple(
            (f"{p.far_target:g}", f"{p.threshold:.4f}", f"{100 * p.tar:.1f}%",
             f"{p.far:.2e}" + ("" if p.resolved else " (too few pairs)"), str(p.false_accepts))
            for p in self.points
        )  # fmt: skip
        table = TextTable(
            rows,
            ("FAR target", "threshold", "TAR", "measured FAR", "false accepts"),
            title=f"{self.dataset}: {self.usable}/{self.images} photos, {self.persons} persons",
            caption=f"{self.model}; {self.genuine_pairs} genuine, {self.impostor_pairs} impostor "
            f"pairs; {self.seconds:.1f} s",
            numeric=True,
        )
        c, d = self.chosen, self.default_point
        return [
            table,
            f"chosen threshold (95% upper bound on FAR <= 1e-3): {c.threshold:.4f} "
            f"(TAR {100 * c.tar:.1f}%, FAR {c.far:.2e})",
            f"default threshold {self.default_threshold}: TAR {100 * d.tar:.1f}%, "
            f"FAR {d.far:.2e} ({d.false_accepts} false accepts)",
            *(f"unusable: {line}" for line in self.unusable),
        ]


def read_identities(location: Path) -> list[IdentityImage]:
    """Every labelled photo under ``location`` (a csv, a folder with one, or a folder of them)."""
    location = Path(location)
    if location.is_file():
        files = [location]
    elif (location / IDENTITIES_FILE).is_file():
        files = [location / IDENTITIES_FILE]
    elif location.is_dir():
        files = sorted(location.rglob(IDENTITIES_FILE))
    else:
        raise BadInputError(f"{location}: no such file or folder")
    if not files:
        raise BadInputError(f"{location}: no {IDENTITIES_FILE} found")
    out: list[IdentityImage] = []
    for csv_path in files:
        group = csv_path.parent.name
        try:
            with csv_path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if reader.fieldnames is None or not {"image", "person"} <= set(reader.fieldnames):
                    raise BadInputError(f"{csv_path}: needs the columns image,person")
                for line, row in enumerate(reader, start=2):
                    image, person = (row.get("image") or "").strip(), (row.get("person") or "")
                    if not image or not person.strip():
                        raise BadInputError(f"{csv_path}:{line}: empty image or person")
                    out.append(IdentityImage(csv_path.parent / image, f"{group}/{person.strip()}"))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise BadInputError(f"cannot read {csv_path}: {exc}") from None
    return out


def largest_face(detections: Detections, threshold: float = FACE_THRESHOLD) -> Detections:
    """The largest face scored at least ``threshold`` (empty when there is none)."""
    faces = detections.filter_score(threshold)
    if len(faces) == 0:
        return faces
    sides = np.minimum(faces.widths, faces.heights)
    return faces[np.asarray([int(np.argmax(sides))], dtype=np.int64)]


def embed_identities(
    images: Sequence[IdentityImage],
    detector: Detector,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
) -> tuple[npt.NDArray[np.float32], list[str], list[str]]:
    """Embeddings ``[k, d]`` and persons of the usable photos, and the unusable photos."""
    from veil.media.images import read_image

    vectors: list[npt.NDArray[np.float32]] = []
    persons: list[str] = []
    unusable: list[str] = []
    for item in images:
        try:
            pixels = read_image(item.path).pixels
            face = largest_face(detector.detect(pixels))
            if len(face) == 0:
                unusable.append(f"{item.path}: no face found")
            else:
                vectors.append(embedder.embed(pixels, face)[0])
                persons.append(item.person)
        except BadInputError as exc:
            unusable.append(" ".join(str(exc).split()))
        if progress is not None:
            progress(1)
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), embedder.dim)
    return matrix, persons, unusable


def pair_distances(
    vectors: npt.ArrayLike, persons: Sequence[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Euclidean distances of every unordered pair: (genuine, impostor)."""
    matrix = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(persons)
    if len(matrix) != len(labels):
        raise ValueError(f"{len(matrix)} vectors but {len(labels)} persons")
    upper = np.triu_indices(len(matrix), k=1)
    diff = matrix[upper[0]] - matrix[upper[1]]
    distances = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    same = labels[upper[0]] == labels[upper[1]]
    return np.sort(distances[same]), np.sort(distances[~same])


def operating_point(
    genuine: npt.ArrayLike, impostor: npt.ArrayLike, far_target: float
) -> OperatingPoint:
    """The largest threshold accepting at most ``floor(far_target * impostors)`` impostor pairs."""
    gen = np.sort(np.asarray(genuine, dtype=np.float64))
    imp = np.sort(np.asarray(impostor, dtype=np.float64))
    if len(imp) == 0 or len(gen) == 0:
        raise BadInputError("need both genuine and impostor pairs (two persons, one with 2 photos)")
    allowed = math.floor(far_target * len(imp) + 1e-9)
    # Accept distance < threshold: with threshold = imp[allowed], exactly `allowed` (fewer with
    # ties) impostor distances lie below it.
    threshold = float(imp[allowed]) if allowed < len(imp) else math.inf
    return at_threshold(gen, imp, threshold, far_target)


def at_threshold(
    genuine: npt.ArrayLike, impostor: npt.ArrayLike, threshold: float, far_target: float
) -> OperatingPoint:
    """TAR and FAR when faces closer than ``threshold`` match."""
    gen = np.asarray(genuine, dtype=np.float64)
    imp = np.asarray(impostor, dtype=np.float64)
    false_accepts = int(np.sum(imp < threshold))
    return OperatingPoint(
        far_target=far_target,
        threshold=threshold,
        tar=float(np.mean(gen < threshold)) if len(gen) else 0.0,
        far=false_accepts / len(imp) if len(imp) else 0.0,
        false_accepts=false_accepts,
        resolved=len(imp) * far_target >= 1.0,
    )


def far_upper_bound(false_accepts: int, impostors: int, confidence: float = 0.95) -> float:
    """One-sided upper confidence bound on FAR after ``false_accepts`` of ``impostors`` pairs."""
    if impostors <= 0:
        return 1.0
    if false_accepts >= impostors:
        return 1.0
    alpha = 1.0 - confidence

    def cdf(p: float) -> float:  # P(X <= false_accepts), X ~ Binomial(impostors, p)
        total = 0.0
        for i in range(false_accepts + 1):
            log_term = (
                math.lgamma(impostors + 1)
                - math.lgamma(i + 1)
                - math.lgamma(impostors - i + 1)
                + i * math.log(p)
                + (impostors - i) * math.log1p(-p)
            )
            total += math.exp(log_term)
        return total

    low, high = false_accepts / impostors, 1.0
    for _ in range(100):
        mid = (low + high) / 2
        if mid <= 0.0 or cdf(mid) > alpha:
            low = mid
        else:
            high = mid
    return high


def chosen_point(
    genuine: npt.ArrayLike, impostor: npt.ArrayLike, far_target: float = CHOSEN_FAR
) -> OperatingPoint:
    """The largest threshold whose 95% upper bound on FAR is at most ``far_target``."""
    imp = np.sort(np.asarray(impostor, dtype=np.float64))
    if len(imp) == 0:
        raise BadInputError("need impostor pairs (photos of at least two persons)")
    accepted = 0
    while accepted < len(imp) and far_upper_bound(accepted + 1, len(imp)) <= far_target:
        accepted += 1
    threshold = float(imp[accepted]) if accepted < len(imp) else math.inf
    point = at_threshold(genuine, imp, threshold, far_target)
    return OperatingPoint(
        far_target=far_target,
        threshold=threshold,
        tar=point.tar,
        far=point.far,
        false_accepts=point.false_accepts,
        resolved=far_upper_bound(0, len(imp)) <= far_target,
    )


def evaluate_identities(
    location: Path,
    detector: Detector,
    embedder: Embedder,
    default_threshold: float,
    progress: Callable[[int], None] | None = None,
    images: Sequence[IdentityImage] | None = None,
) -> IdentityReport:
    """Embed every labelled photo under ``location`` and report TAR at each FAR target."""
    started = time.perf_counter()
    items = list(images) if images is not None else read_identities(location)
    vectors, persons, unusable = embed_identities(items, detector, embedder, progress)
    genuine, impostor = pair_distances(vectors, persons)
    points = [operating_point(genuine, impostor, far) for far in FAR_TARGETS]
    chosen = chosen_point(genuine, impostor, CHOSEN_FAR)
    return IdentityReport(
        dataset=str(location),
        model=embedder.name,
        images=len(items),
        usable=len(persons),
        persons=len(set(persons)),
        genuine_pairs=len(genuine),
        impostor_pairs=len(impostor),
        points=points,
        chosen=chosen,
        default_threshold=default_threshold,
        default_point=at_threshold(genuine, impostor, default_threshold, CHOSEN_FAR),
        unusable=unusable,
        seconds=time.perf_counter() - started,
    )


def measure_identities(
    location: Path,
    detector: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IdentityReport:
    """``veil eval identities``: :func:`evaluate_identities` with the named detector (default
    CenterFace, score 0.3), the default embedder and threshold; ``progress(done, total)`` is
    called after each photo."""
    from veil.consent.matching import DEFAULT_THRESHOLD
    from veil.vision.detectors import DEFAULT_DETECTOR, DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    images = read_identities(location)
    found_by = get_detector(detector or DEFAULT_DETECTOR, DetectorSettings(threshold=0.3))
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, len(images))

    return evaluate_identities(
        location, found_by, get_embedder(), DEFAULT_THRESHOLD, advance, images=images
    )
