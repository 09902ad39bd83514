"""CenterFace's precisions: int8 and bf16 find the faces fp32 finds; auto picks the fast safe one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from veil.errors import ConfigError
from veil.vision.detections import Detections, box_iou
from veil.vision.detectors import DetectorSettings, centerface, get_detector, openvino_runtime

# The astronaut's head at several sizes: a small face, the photo itself, and close-ups whose
# faces are 250 to 450 px wide (large faces are where a badly calibrated int8 network loses score).
VIEWS = [
    ((slice(0, 512), slice(0, 512)), 0.3),
    ((slice(0, 512), slice(0, 512)), 1.0),
    ((slice(20, 320), slice(100, 360)), 3.0),
    ((slice(20, 320), slice(100, 360)), 5.0),
]
needs_bf16 = pytest.mark.skipif(
    not openvino_runtime.native_bf16(), reason="no OpenVINO or no native bf16 on this CPU"
)
FAST = [pytest.param("int8"), pytest.param("bf16", marks=needs_bf16)]


# int8 scores depend on the CPU's integer kernels: within 0.1 of fp32 on an Intel Xeon with VNNI,
# 0.107 on the small face on an AMD EPYC with AVX2 only (onnxruntime's u8s8 path). int8 is opt-in
# and documented as lossy; what must hold everywhere is the same face, still far above the 0.15
# detection threshold. bf16 keeps the tighter bound.
SCORE_TOLERANCE = {"int8": 0.15, "bf16": 0.1}


def assert_same_best_face(full: Detections, fast: Detections, tolerance: float = 0.1) -> None:
    """The most confident face of each: boxes overlap (IoU > 0.8), scores within ``tolerance``."""
    assert len(full) >= 1 and len(fast) >= 1
    best_full, best_fast = int(np.argmax(full.scores)), int(np.argmax(fast.scores))
    overlap = box_iou(full.boxes[best_full : best_full + 1], fast.boxes[best_fast : best_fast + 1])
    assert overlap[0, 0] > 0.8
    assert abs(float(full.scores[best_full]) - float(fast.scores[best_fast])) < tolerance
    assert float(fast.scores[best_fast]) > 0.3


@pytest.mark.parametrize("precision", FAST)
@pytest.mark.parametrize(("crop", "zoom"), VIEWS)
def test_fast_precisions_find_the_same_face_as_fp32(
    astronaut_bgr: np.ndarray, crop: tuple[slice, slice], zoom: float, precision: str
) -> None:
    view = np.ascontiguousarray(cv2.resize(astronaut_bgr[crop], None, fx=zoom, fy=zoom))
    full = get_detector("centerface", DetectorSettings(precision="fp32")).detect(view)
    fast = get_detector("centerface", DetectorSettings(precision=precision)).detect(view)
    assert_same_best_face(full, fast, SCORE_TOLERANCE[precision])


@needs_bf16
@pytest.mark.parametrize("brightness", [0.15, 0.08])
def test_bf16_keeps_faces_in_the_dark(astronaut_bgr: np.ndarray, brightness: float) -> None:
    # bf16's error is relative to each value, so a dark face keeps its score; this is what int8
    # (one fixed scale per tensor) does not do on dark footage.
    dark = np.ascontiguousarray((astronaut_bgr * brightness).astype(np.uint8))
    full = get_detector("centerface", DetectorSettings(precision="fp32")).detect(dark)
    fast = get_detector("centerface", DetectorSettings(precision="bf16")).detect(dark)
    assert_same_best_face(full, fast)


def test_auto_is_bf16_only_on_a_cpu_with_native_bf16_and_no_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert DetectorSettings().precision == "auto"
    for native, cuda, expected in [
        (True, False, "bf16"),
        (True, True, "fp32"),
        (False, False, "fp32"),
    ]:
        monkeypatch.setattr(centerface, "native_bf16", lambda n=native: n)
        monkeypatch.setattr(centerface, "_cuda_available", lambda c=cuda: c)
        assert centerface.resolve_precision("auto") == expected
    assert centerface.resolve_precision("int8") == "int8"


def test_the_detector_says_which_precision_it_runs() -> None:
    detector = centerface.CenterFaceDetector(DetectorSettings(precision="auto"))
    assert detector.precision == centerface.resolve_precision("auto")
    assert detector.precision in {"fp32", "bf16"}


def test_bf16_without_native_support_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openvino_runtime, "native_bf16", lambda: False)
    with pytest.raises(ConfigError, match="--precision fp32"):
        get_detector("centerface", DetectorSettings(precision="bf16"))


def test_an_unknown_precision_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown precision 'fp16'"):
        get_detector("centerface", DetectorSettings(precision="fp16"))
