"""An int8 CenterFace, derived once from the packaged fp32 weights and cached on disk.

Static quantization with onnxruntime (QDQ format: per-channel int8 weights, uint8 activations,
min/max calibration) on the photos that ship inside scikit-image. Nothing is downloaded: the int8
file is made from ``centerface.onnx`` on this machine, in a few seconds, the first time it is
needed, and kept under :func:`cache_dir`, keyed by the fp32 file, the onnxruntime version and this
recipe. Measured here (2 cores with VNNI): about 1.9x less time per 720p frame than fp32, with
protected recall on wider-dev within 0.7 points of fp32 in every face-size bucket, but on dark
footage (the hamilton clip, mean brightness 29/255) a fifth of the faces fp32 finds confidently
drop below the threshold: uint8 activations ranged for well-lit photos leave too few levels for
dark ones. Hence opt-in (``--precision int8``), not the default (BENCHMARKS.md).
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from veil.config import cache_dir
from veil.core.atomic import atomic_output
from veil.errors import ConfigError
from veil.vision.detectors.offline import import_onnxruntime

RECIPE = "qdq-perchannel-u8s8-minmax-v2"  # change with the recipe: older cache files are ignored
CALIBRATION_PHOTOS = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "cat",
    "immunohistochemistry",
    "hubble_deep_field",
)
CLOSE_UP = (slice(40, 300), slice(120, 340))  # the astronaut's head, rows and columns
CLOSE_UP_ZOOMS = (2.0, 4.0)  # faces of ~200 and ~400 px: without them large faces lose score
OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear need opset 13; the export is opset 9

_MAKING = threading.Lock()  # cameras built at once on a first run quantize only once

NetworkInput = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.float32]]


def cache_path(fp32_model: bytes) -> Path:
    """The cache file for the int8 version of ``fp32_model`` (this onnxruntime, this recipe)."""
    ort = import_onnxruntime()

    key = hashlib.sha256(fp32_model + f"|{ort.__version__}|{RECIPE}".encode()).hexdigest()[:16]
    return cache_dir() / f"centerface-int8-{key}.onnx"


def int8_model(
    fp32_model: bytes, input_name: str, network_input: NetworkInput, *, rebuild: bool = False
) -> bytes:
    """The int8 version of ``fp32_model``: from the cache, else quantized now and cached.

    ``network_input`` turns an RGB photo into the network's input tensor (the detector's own
    preprocessing, so calibration sees what inference sees). ``rebuild`` ignores a cached file
    (for one that failed to load). A cache folder that cannot be written only means quantizing
    again next time.
    """
    path = cache_path(fp32_model)
    with _MAKING:
        if path.is_file() and not rebuild:
            return path.read_bytes()
        return _make(fp32_model, input_name, network_input, path)


def _make(fp32_model: bytes, input_name: str, network_input: NetworkInput, path: Path) -> bytes:
    """Quantize ``fp32_model`` and keep the result at ``path`` where that can be written."""
    try:
        model = quantize(fp32_model, input_name, network_input)
    except Exception as error:  # onnx and onnxruntime raise many kinds
        raise ConfigError(
            f"could not make the int8 CenterFace model ({type(error).__name__}: {error}); "
            "use --precision fp32"
        ) from error
    try:
        with atomic_output(path, overwrite=True) as partial:
            partial.write_bytes(model)
    except OSError:
        pass
    return model


def quantize(fp32_model: bytes, input_name: str, network_input: NetworkInput) -> bytes:
    """Quantize ``fp32_model`` statically to int8, calibrated on scikit-image's sample photos."""
    import onnx
    from onnx import version_converter

    import_onnxruntime()  # telemetry off before onnxruntime.quantization loads it
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Photos(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._inputs = ({input_name: network_input(photo)} for photo in calibration_photos())

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self._inputs, None)

    with tempfile.TemporaryDirectory(prefix="veil-quantize-") as folder:
        work = Path(folder)
        upgraded = version_converter.convert_version(onnx.load_from_string(fp32_model), OPSET)
        onnx.save(upgraded, work / "fp32.onnx")
        # Folds batch norms into convolutions and infers shapes, so every tensor gets a range.
        quant_pre_process(work / "fp32.onnx", work / "prepared.onnx", skip_symbolic_shape=True)
        quantize_static(
            work / "prepared.onnx",
            work / "int8.onnx",
            Photos(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
        return (work / "int8.onnx").read_bytes()


def calibration_photos() -> Iterator[npt.NDArray[np.uint8]]:
    """scikit-image's bundled sample photos and close-ups of the astronaut, as RGB ``uint8``."""
    import cv2
    import skimage.data

    head: npt.NDArray[np.uint8] | None = None
    for name in CALIBRATION_PHOTOS:
        photo = np.asarray(getattr(skimage.data, name)(), np.uint8)
        if photo.ndim == 2:
            photo = np.repeat(photo[:, :, None], 3, axis=2)
        if name == "astronaut":
            head = photo[CLOSE_UP]
        yield np.ascontiguousarray(photo[:, :, :3])
    assert head is not None
    for zoom in CLOSE_UP_ZOOMS:
        yield np.asarray(cv2.resize(head, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC))
