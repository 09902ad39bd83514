"""The int8 CenterFace is made once, cached, and rebuilt when damaged (faces: test_precision)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from veil.errors import ConfigError
from veil.vision.detectors import DetectorSettings, get_detector, quantize


@pytest.fixture
def counted_quantize(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[bytes]:
    """A private cache, and a stand-in quantizer (returns the fp32 model) that counts its calls."""
    monkeypatch.setenv("VEIL_CACHE", str(tmp_path / "cache"))
    calls: list[bytes] = []

    def fake(fp32_model: bytes, *_: object) -> bytes:
        calls.append(fp32_model)
        return fp32_model

    monkeypatch.setattr(quantize, "quantize", fake)
    return calls


def test_the_int8_model_is_made_once_and_then_read_from_the_cache(
    counted_quantize: list[bytes],
) -> None:
    for _ in range(3):
        get_detector("centerface", DetectorSettings(precision="int8"))
    assert len(counted_quantize) == 1
    fp32 = counted_quantize[0]
    cached = quantize.cache_path(fp32)
    assert cached.read_bytes() == fp32
    assert not [p for p in cached.parent.iterdir() if p != cached]  # no partial files left


def test_detectors_built_at_once_quantize_once(counted_quantize: list[bytes]) -> None:
    settings = DetectorSettings(precision="int8")
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda _: get_detector("centerface", settings), range(4)))
    assert len(built) == 4 and len(counted_quantize) == 1


def test_a_damaged_cache_file_is_rebuilt(
    counted_quantize: list[bytes], astronaut_bgr: np.ndarray
) -> None:
    get_detector("centerface", DetectorSettings(precision="int8"))
    cached = quantize.cache_path(counted_quantize[0])
    cached.write_bytes(b"not an onnx model")
    detector = get_detector("centerface", DetectorSettings(precision="int8"))
    assert len(detector.detect(astronaut_bgr)) == 1
    assert len(counted_quantize) == 2 and cached.read_bytes() == counted_quantize[0]


def test_an_unwritable_cache_only_costs_time(
    counted_quantize: list[bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder cannot be made here")
    monkeypatch.setenv("VEIL_CACHE", str(blocker / "cache"))
    for _ in range(2):
        get_detector("centerface", DetectorSettings(precision="int8"))
    assert len(counted_quantize) == 2


def test_a_failed_quantization_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VEIL_CACHE", str(tmp_path))

    def broken(*_: object) -> bytes:
        raise ValueError("No data is collected.")

    monkeypatch.setattr(quantize, "quantize", broken)
    with pytest.raises(ConfigError, match=r"int8 CenterFace.*--precision fp32"):
        get_detector("centerface", DetectorSettings(precision="int8"))
    get_detector("centerface", DetectorSettings(precision="fp32"))  # the way out works


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VEIL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert quantize.cache_dir() == Path("/somewhere/veil")
    monkeypatch.setenv("VEIL_CACHE", "/elsewhere")
    assert quantize.cache_dir() == Path("/elsewhere")
