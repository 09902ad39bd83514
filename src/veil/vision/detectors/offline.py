"""Keep the inference runtimes offline: their telemetry is turned off before they are imported.

Veil promises to run offline and to write nothing outside ``$VEIL_HOME``, the cache and its
outputs. Two runtimes it loads break that unless told otherwise:

- onnxruntime (1.2x+) writes a device id and an event store under
  ``~/.cache/Microsoft/DeveloperTools/.onnxruntime`` unless ``ORT_DISABLE_TELEMETRY`` is set
  when it is imported (setting it later is too late);
- ``import openvino`` imports ``openvino.tools.ovc``, which starts ``openvino_telemetry``: it
  writes ``~/intel/openvino_ga_cid`` and ``~/intel/stats`` and sends a Google Analytics event
  from a thread. ``ovc`` falls back to its own no-op stub when ``openvino_telemetry`` cannot be
  imported, so :func:`import_openvino` hides that package while ``openvino`` is imported.

Every Veil module that loads a runtime goes through these functions, so library users who never
touch the CLI get the same guarantee.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

_TELEMETRY_PACKAGE = "openvino_telemetry"


def import_onnxruntime() -> ModuleType:
    """``import onnxruntime`` with its telemetry (device id, event store) turned off."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    ort = importlib.import_module("onnxruntime")
    if hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()
    return ort


def import_openvino() -> ModuleType:
    """``import openvino`` with ``openvino_telemetry`` unavailable, so its no-op stub is used.

    Raises ImportError when OpenVINO is not installed.
    """
    if "openvino" in sys.modules:
        return sys.modules["openvino"]
    hidden = {
        name: mod for name, mod in sys.modules.items() if name.split(".")[0] == _TELEMETRY_PACKAGE
    }
    for name in hidden:
        del sys.modules[name]
    sys.modules[_TELEMETRY_PACKAGE] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        return importlib.import_module("openvino")
    finally:
        del sys.modules[_TELEMETRY_PACKAGE]
        sys.modules.update(hidden)
