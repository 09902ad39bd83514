"""Redaction modes and mask shapes are found by name: a new mode registered once is used by
``veil blur``, ``veil gate`` and the live frame step with no change to any of them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from veil.core.frame import Frame
from veil.errors import ConfigError
from veil.media.images import read_image, write_image
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.vision.detections import Detections
from veil.vision.redact import (
    MODES,
    SHAPES,
    MaskShape,
    RedactionMode,
    RedactionSettings,
    redact_faces,
)

GREY = 127


def grey(region: Frame, face_size: float, settings: RedactionSettings) -> Frame:
    """A test mode: paint the face mid-grey (a value the other modes never produce flat)."""
    return np.full_like(region, GREY)


@pytest.fixture
def grey_mode() -> Iterator[str]:
    MODES.register("grey", grey)
    try:
        yield "grey"
    finally:
        MODES.unregister("grey")


def grey_pixels(image: Frame) -> int:
    return int(np.all(image == GREY, axis=2).sum())


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    from veil.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_builtins_are_listed_in_order_and_unknown_names_are_refused() -> None:
    assert MODES.names()[:4] == ["blur", "pixelate", "solid", "none"]
    assert SHAPES.names()[:2] == ["ellipse", "box"]
    with pytest.raises(ConfigError, match=r"unknown redaction mode 'sepia' \(known: blur, "):
        RedactionSettings(mode="sepia")
    with pytest.raises(ConfigError, match="unknown mask shape 'star'"):
        RedactionSettings(shape="star")
    with pytest.raises(ConfigError, match="already registered"):
        MODES.register("blur", grey)
    with pytest.raises(ConfigError, match="lower case"):
        MODES.register("Grey Mode", grey)
    assert RedactionMode.named("pixelate") == RedactionMode.PIXELATE == "pixelate"
    assert MaskShape.BOX.value == "box"


def test_a_registered_mode_and_shape_are_used_by_name(grey_mode: str) -> None:
    def corner(height: int, width: int, box: tuple[float, float, float, float]) -> np.ndarray:
        mask = np.zeros((height, width), bool)
        mask[: height // 2, : width // 2] = True
        return mask

    SHAPES.register("corner", corner)
    try:
        frame = np.zeros((100, 100, 3), np.uint8)
        face = Detections([[20, 20, 60, 60]], [0.9])
        redact_faces(frame, face, RedactionSettings(mode=grey_mode, shape="corner", mask_scale=1))
    finally:
        SHAPES.unregister("corner")
    assert grey_pixels(frame) == 20 * 20 and np.all(frame[20:40, 20:40] == GREY)
    assert grey_mode in MODES.names() and "corner" not in SHAPES.names()


def test_a_mode_that_answers_badly_fails_and_the_frame_step_blanks() -> None:
    from veil.framestep import FrameStep

    class OneFace:
        name = "one"

        def detect(self, frame: Frame) -> Detections:
            return Detections([[10, 10, 50, 50]], [0.9])

    MODES.register("broken", lambda region, size, settings: region[:1])
    try:
        settings = RedactionSettings(mode="broken")
        frame = np.full((80, 80, 3), 200, np.uint8)
        with pytest.raises(TypeError, match="wrong shape"):
            redact_faces(frame.copy(), OneFace().detect(frame), settings)
        result = FrameStep(redaction=settings).run(frame, OneFace())
    finally:
        MODES.unregister("broken")
    assert result.blanked and not frame.any()


def test_veil_blur_uses_a_registered_mode(
    grey_mode: str, tmp_path: Path, astronaut_bgr: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    code, out, err = run_cli(capsys, "blur", photo, "-o", tmp_path / "o.png", "--mode", "grey", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["totals"]["faces_redacted"] == 1
    assert grey_pixels(read_image(tmp_path / "o.png").pixels) > grey_pixels(astronaut_bgr) + 2000
    code, _, err = run_cli(capsys, "blur", photo, "-o", tmp_path / "x.png", "--mode", "sepia")
    assert code == 2 and "unknown redaction mode 'sepia'" in err and "grey" in err


def test_veil_gate_uses_a_registered_mode(
    grey_mode: str,
    tmp_path: Path,
    astronaut_bgr: np.ndarray,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    monkeypatch.setenv("VEIL_MASTER_KEY", "ab" * 32)
    assert run_cli(capsys, "consent", "purpose", "add", "greet")[0] == 0
    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    args = ("gate", photo, "-p", "greet", "-o", tmp_path / "o.png", "--mode", "grey", "--json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert json.loads(out)["totals"]["faces_redacted"] == 1
    assert grey_pixels(read_image(tmp_path / "o.png").pixels) > grey_pixels(astronaut_bgr) + 2000


def test_the_live_frame_step_uses_a_registered_mode(grey_mode: str) -> None:
    class Fixed:
        name = "fixed"

        def detect(self, frame: Frame) -> Detections:
            return Detections([[40, 40, 120, 140]], [0.9])

    redactor = RealtimeRedactor(
        Fixed(),
        redaction=RedactionSettings(mode=grey_mode, shape=MaskShape.BOX, mask_scale=1.0),
        settings=RealtimeSettings(max_latency=10.0, adapt=False),
    )
    frame = np.zeros((240, 320, 3), np.uint8)
    try:
        outcome = redactor.process(frame, 0.0, time.monotonic())
    finally:
        redactor.close()
    assert outcome.blanked is None and outcome.faces_redacted == 1
    assert np.all(frame[40:140, 40:120] == GREY) and grey_pixels(frame) == 80 * 100
