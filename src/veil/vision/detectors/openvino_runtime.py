"""CenterFace in bfloat16 on OpenVINO: the fast CPU path where the processor computes in bf16.

bfloat16 keeps float32's exponent and drops mantissa bits, so its error is relative to each value:
a dark face's small activations keep the same few significant bits as a bright face's large ones.
That is what int8 (one fixed scale per tensor, fitted on calibration photos) cannot do, and why
int8 loses faces in dark footage while bf16 does not (measured in BENCHMARKS.md). OpenVINO's CPU
plugin runs bf16 natively on processors with AVX512-BF16 or AMX; elsewhere it would quietly fall
back to float32, so :func:`native_bf16` tells whether the fast path exists on this machine.

:class:`OpenVinoSession` answers ``run(output_names, feeds)`` like an onnxruntime session, so the
detector drives either runtime the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from veil.errors import ConfigError
from veil.vision.detectors.offline import import_openvino


def _core() -> Any:
    try:
        openvino = import_openvino()
    except ImportError:  # a dependency, but a trimmed install may lack it: then fp32 runs
        return None
    return openvino.Core()


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """True when OpenVINO is installed and this CPU computes bf16 natively."""
    core = _core()
    if core is None:
        return False
    try:
        capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except RuntimeError:  # no CPU plugin
        return False
    return "BF16" in capabilities


class OpenVinoSession:
    """An ONNX model compiled for OpenVINO's CPU plugin in bf16, any input height and width."""

    def __init__(self, model: bytes, input_name: str, threads: int) -> None:
        core = _core()
        if core is None or not native_bf16():
            raise ConfigError(
                "precision bf16 needs OpenVINO and a CPU with native bf16 (AVX512-BF16 or AMX); "
                "use --precision fp32"
            )
        openvino = import_openvino()
        network = core.read_model(model, b"")
        network.reshape({input_name: openvino.PartialShape([1, 3, -1, -1])})
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": "bf16",
            "PERFORMANCE_HINT": "LATENCY",
        }
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        self._compiled = core.compile_model(network, "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._input_name = input_name

    def run(
        self, output_names: list[str], feeds: dict[str, npt.NDArray[np.float32]]
    ) -> list[npt.NDArray[np.float32]]:
        """Infer once; the named outputs as float32 arrays (copies: the request reuses its buffers)."""
        self._request.infer({self._input_name: feeds[self._input_name]})
        return [
            np.array(self._request.get_tensor(name).data, dtype=np.float32, copy=True)
            for name in output_names
        ]
