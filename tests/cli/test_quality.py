"""--quality walks from the CLI to the detector: photos default to thorough, video to fast."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from veil.cli.main import main
from veil.media.images import write_image
from veil.vision.detections import Detections
from veil.vision.detectors import DetectorSettings


class Recorder:
    """Finds nothing; records the shape of every frame it is shown."""

    name = "recorder"
    shapes: ClassVar[list[tuple[int, ...]]] = []

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        pass

    def detect(self, frame: npt.NDArray[np.uint8]) -> Detections:
        Recorder.shapes.append(frame.shape)
        return Detections.empty()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[Recorder]:
    Recorder.shapes = []
    monkeypatch.setattr("veil.pipeline.get_detector", lambda name, settings: Recorder(settings))
    return Recorder


def _run(*args: str | Path) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return int(exit_info.value.code or 0)


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    write_image(path, np.full((200, 300, 3), 90, np.uint8))
    return path


@pytest.mark.parametrize(
    ("args", "upscaled"),
    [((), True), (("--quality", "thorough"), True), (("--quality", "fast"), False)],
)
def test_blur_photo_quality_reaches_the_detector(
    tmp_path: Path, recorder: type[Recorder], args: tuple[str, ...], upscaled: bool
) -> None:
    photo = _photo(tmp_path)
    assert _run("blur", photo, "-o", tmp_path / "out.png", "--no-ledger", "--quiet", *args) == 0
    # thorough (the photo default): native, flipped native, and the 2x pass (one 400x600 tile).
    expected = [(200, 300, 3), (200, 300, 3), (400, 600, 3)] if upscaled else [(200, 300, 3)]
    assert recorder.shapes == expected


def test_blur_video_keeps_fast_unless_thorough_is_asked(
    tmp_path: Path, recorder: type[Recorder], make_video: Callable[..., Path]
) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=4, size=(160, 120))
    # Every frame a full pass, so that every detector input is a whole frame.
    common = ("--no-ledger", "--quiet", "--detect-every", "1", "--full-every", "1")
    assert _run("blur", clip, "-o", tmp_path / "fast.mp4", *common) == 0
    assert recorder.shapes and set(recorder.shapes) == {(120, 160, 3)}
    recorder.shapes.clear()
    assert _run("blur", clip, "-o", tmp_path / "slow.mp4", "--quality", "thorough", *common) == 0
    assert (240, 320, 3) in recorder.shapes


def test_unknown_quality_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("blur", _photo(tmp_path), "--quality", "best", "--no-ledger") == 2
    assert "best" in capsys.readouterr().err


def test_eval_all_presets_reports_each_preset(
    tmp_path: Path, astronaut_bgr: npt.NDArray[np.uint8], capsys: pytest.CaptureFixture[str]
) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    (tmp_path / "boxes.csv").write_text("image,x,y,w,h,ignore\na.png,170,40,90,120,0\n")
    assert _run("eval", "faces", tmp_path, "--all-presets", "--json") == 0
    reports = json.loads(capsys.readouterr().out)["presets"]
    assert [r["settings"]["quality"] for r in reports] == ["fast", "balanced", "thorough"]
    for report in reports:
        assert report["seconds_per_image"] > 0
        assert 0.0 < report["masked_fraction"] < 0.5  # one face, masked, in a 512x512 picture
        assert {b["bucket"] for b in report["buckets"]} >= {"<16", ">=32", "all"}
    assert _run("eval", "faces", tmp_path, "--all-presets", "--quality", "fast") == 2


def test_quality_help_documents_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    from veil.vision.quality import MEASURED

    for command in (("blur",), ("gate",), ("eval", "faces")):
        assert _run(*command, "--help") == 0
        text = " ".join(capsys.readouterr().out.replace("│", " ").split())
        for name, figures in MEASURED.items():
            assert f"{name}: {' '.join(figures.split())}" in text


def test_stream_offers_no_quality(capsys: pytest.CaptureFixture[str]) -> None:
    # Live streams never use a mode they cannot sustain: they keep the native pass.
    assert _run("stream", "--help") == 0
    assert "--quality" not in capsys.readouterr().out
    assert _run("stream", "--quality", "thorough") == 2
