"""Face embeddings for consent matching.

An :class:`Embedder` turns the faces of a frame (a BGR ``uint8`` image and its
:class:`~veil.vision.detections.Detections`) into one ``float32`` vector per face; two faces of the
same person lie close in Euclidean distance. The default, :class:`DlibResNetEmbedder`, is dlib's
128-d ResNet (``dlib_face_recognition_resnet_model_v1.dat``) with its 5-point shape predictor,
both loaded offline from the files the ``face-recognition-models`` package installs: each face box
is refined to five landmarks, the face is aligned to a 150x150 chip by dlib, and the chip is
embedded. Embeddings are personal data: callers must not store or log them unless the person
consented (see ``veil.consent``).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from veil.errors import ConfigError, DetectionError
from veil.vision.detections import Detections

Frame = npt.NDArray[np.uint8]
Embeddings = npt.NDArray[np.float32]

DLIB_MODEL = "dlib-resnet-v1"
_RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
_SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"


class Embedder(Protocol):
    """Maps detected faces to vectors compared by Euclidean distance."""

    name: str
    dim: int

    def embed(self, frame: Frame, detections: Detections) -> Embeddings:
        """Return ``[len(detections), dim]`` float32 embeddings of the faces in ``frame``."""
        ...


def models_dir() -> Path:
    """Locate the folder of dlib model files (``VEIL_DLIB_MODELS`` overrides the package)."""
    override = os.environ.get("VEIL_DLIB_MODELS")
    if override:
        folder = Path(override)
    else:
        spec = importlib.util.find_spec("face_recognition_models")
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise ConfigError(
                "dlib face models not found: install them with "
                "`pip install face-recognition-models dlib-bin` (or `pip install 'veil[faces]'`)"
            )
        folder = Path(locations[0]) / "models"
    for name in (_RESNET_FILE, _SHAPE_FILE):
        if not (folder / name).is_file():
            raise ConfigError(f"dlib face model {name} not found in {folder}")
    return folder


@lru_cache(maxsize=2)
def _load_models(folder: str) -> tuple[Any, Any]:
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("dlib is not installed: `pip install dlib-bin`") from exc
    loaded = []
    for path, load in (
        (Path(folder) / _SHAPE_FILE, dlib.shape_predictor),
        (Path(folder) / _RESNET_FILE, dlib.face_recognition_model_v1),
    ):
        try:
            loaded.append(load(str(path)))
        except Exception as exc:  # dlib raises RuntimeError (and its own types) on a bad file
            where = "VEIL_DLIB_MODELS=" if os.environ.get("VEIL_DLIB_MODELS") else ""
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ConfigError(
                f"dlib face model {path.name} in {where}{folder} cannot be used"
                f" (corrupt or truncated: {reason})"
            ) from None
    return loaded[0], loaded[1]


class DlibResNetEmbedder:
    """dlib's 128-d face ResNet, aligned by dlib's 5-point shape predictor.

    ``jitters`` > 0 averages that many randomly jittered chips (slower, a little more accurate;
    use it for enrollment, not for video). Thread-safe: dlib calls are serialized per instance.
    """

    name = DLIB_MODEL
    dim = 128

    def __init__(self, jitters: int = 0, models: Path | None = None) -> None:
        self.jitters = int(jitters)
        self._shape, self._resnet = _load_models(str(models or models_dir()))
        self._lock = threading.Lock()

    def landmarks(self, frame: Frame, detections: Detections) -> list[Any]:
        """dlib 5-point shapes (``full_object_detection``) for each box, in RGB ``frame``."""
        import dlib

        shapes = []
        for box in np.rint(detections.boxes).astype(np.int64):
            x1, y1, x2, y2 = (int(v) for v in box)
            rect = dlib.rectangle(x1, y1, x2, y2)
            shapes.append(self._shape(frame, rect))
        return shapes

    def chips(self, frame: Frame, detections: Detections) -> list[Frame]:
        """Aligned 150x150 BGR face chips (for review and tests)."""
        import dlib

        rgb = _to_rgb(frame)
        shapes = self.landmarks(rgb, detections)
        return [np.ascontiguousarray(dlib.get_face_chip(rgb, s)[:, :, ::-1]) for s in shapes]

    def embed(self, frame: Frame, detections: Detections) -> Embeddings:
        """Embed every face of ``frame`` (BGR ``uint8``); ``[n, 128]`` float32."""
        import dlib

        count = len(detections)
        if count == 0:
            return np.zeros((0, self.dim), np.float32)
        rgb = _to_rgb(frame)
        with self._lock:
            shapes = dlib.full_object_detections()
            for shape in self.landmarks(rgb, detections):
                shapes.append(shape)
            vectors = self._resnet.compute_face_descriptor(rgb, shapes, self.jitters)
        out = np.asarray([np.asarray(v, dtype=np.float32) for v in vectors], dtype=np.float32)
        if out.shape != (count, self.dim) or not np.all(np.isfinite(out)):
            raise DetectionError("face embedder returned malformed output")
        return out

    def embed_chip(self, chip_bgr: Frame) -> Embeddings:
        """Embed one face chip already aligned the way ``dlib.get_face_chip`` aligns (150x150)."""
        rgb = _to_rgb(chip_bgr)
        if rgb.shape[:2] != (150, 150):
            raise DetectionError(
                f"aligned face chips must be 150x150, not {rgb.shape[1]}x{rgb.shape[0]}"
            )
        with self._lock:
            vector = self._resnet.compute_face_descriptor(rgb, self.jitters)
        return np.asarray(vector, dtype=np.float32).reshape(1, self.dim)


def _to_rgb(frame: Frame) -> Frame:
    array = np.asarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise DetectionError(
            f"expected a BGR uint8 image [h, w, 3], got {array.dtype} {array.shape}"
        )
    return np.ascontiguousarray(array[:, :, ::-1])


EMBEDDERS: dict[str, type[DlibResNetEmbedder]] = {DLIB_MODEL: DlibResNetEmbedder}


def get_embedder(name: str = DLIB_MODEL, jitters: int = 0) -> Embedder:
    """Build the embedder registered as ``name``."""
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ConfigError(f"unknown face embedder {name!r} (known: {known})") from None
    return factory(jitters=jitters)
