"""Damaged model files named by VEIL_CENTERFACE_ONNX / VEIL_DLIB_MODELS: one ConfigError each."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import ConfigError
from veil.vision.detectors import DetectorSettings

KINDS = ("truncated", "garbage", "empty", "other-onnx")


def damaged(original: Path, folder: Path, kind: str) -> Path:
    """A stand-in for ``original`` in ``folder`` (its sibling files linked unchanged)."""
    folder.mkdir(parents=True)
    for other in original.parent.iterdir():
        if other.is_file() and other.name != original.name:
            (folder / other.name).symlink_to(other)
    data = original.read_bytes()
    content = {
        "truncated": data[: len(data) // 3],
        "garbage": b"\x08\x07not a model\n" * 50,
        "empty": b"",
    }.get(kind)
    target = folder / original.name
    if content is None:  # a well-formed ONNX model that is not CenterFace
        import onnx
        from onnx import TensorProto, helper

        graph = helper.make_graph(
            [helper.make_node("Identity", ["x"], ["y"])],
            "identity",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        )
        onnx.save(helper.make_model(graph), target)
    else:
        target.write_bytes(content)
    return target


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("precision", ["fp32", "int8", "auto"])
def test_damaged_centerface_weights_are_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, precision: str
) -> None:
    from veil.vision.detectors.centerface import CenterFaceDetector, find_weights

    weights = damaged(find_weights(), tmp_path / "models", kind)
    monkeypatch.setenv("VEIL_CENTERFACE_ONNX", str(weights))
    with pytest.raises(ConfigError) as info:
        CenterFaceDetector(DetectorSettings(precision=precision))
    message = str(info.value)
    assert "VEIL_CENTERFACE_ONNX" in message and str(weights) in message and "\n" not in message


@pytest.mark.parametrize("kind", KINDS[:3])
@pytest.mark.parametrize(
    "name", ["shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"]
)
def test_damaged_dlib_models_are_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, name: str
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    from veil.vision.embeddings import DlibResNetEmbedder, models_dir

    bad = damaged(models_dir() / name, tmp_path / "models", kind)
    monkeypatch.setenv("VEIL_DLIB_MODELS", str(bad.parent))
    with pytest.raises(ConfigError) as info:
        DlibResNetEmbedder()
    message = str(info.value)
    assert "VEIL_DLIB_MODELS" in message and name in message and "\n" not in message
