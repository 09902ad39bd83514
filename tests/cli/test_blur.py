from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from veil.media.images import read_image, write_image
from veil.media.video import count_frames


def veil(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_blur_mixed_batch_with_json_summary(
    tmp_path: Path, astronaut_bgr: np.ndarray, make_video: Callable[..., Path]
) -> None:
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    write_image(inputs / "sub" / "astronaut.jpg", astronaut_bgr)
    make_video(inputs / "clip.mp4", frames=8, audio=True)
    (inputs / "broken.jpg").write_text("not a jpeg")
    result = veil(
        "blur", inputs, "-o", tmp_path / "out", "--json", "--boxes-out", tmp_path / "boxes.jsonl"
    )
    assert result.returncode == 1  # one input failed
    summary = json.loads(result.stdout)
    assert summary["totals"]["ok"] == 2 and summary["totals"]["failed"] == 1
    by_name = {Path(f["input"]).name: f for f in summary["files"]}
    assert by_name["astronaut.jpg"]["faces_redacted"] == 1
    assert by_name["clip.mp4"]["frames"] == 8 and by_name["clip.mp4"]["audio_packets"] > 0
    assert "broken.jpg" in by_name["broken.jpg"]["error"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("veil: error:")]
    assert len(errors) == 1 and "broken.jpg" in errors[0]
    assert (tmp_path / "out" / "sub" / "astronaut.jpg").exists()
    assert count_frames(tmp_path / "out" / "clip.mp4") == 8
    lines = [json.loads(line) for line in (tmp_path / "boxes.jsonl").read_text().splitlines()]
    assert {Path(line["file"]).name for line in lines} == {"astronaut.jpg", "clip.mp4"}
    assert all(face["redacted"] for line in lines for face in line["faces"])


def test_existing_outputs_are_kept_without_overwrite(
    tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    target = tmp_path / "a_anonymized.png"
    target.write_bytes(b"earlier result")
    result = veil("blur", tmp_path / "a.png", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["files"][0]["status"] == "skipped"
    assert target.read_bytes() == b"earlier result"
    result = veil(
        "blur", tmp_path / "a.png", "--overwrite", "--mode", "pixelate", "--shape", "box", "-q"
    )
    assert result.returncode == 0
    assert read_image(target).pixels.shape == astronaut_bgr.shape


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    result = veil("blur", tmp_path / "nothing.jpg")
    assert result.returncode == 1 and "no such file" in result.stderr
    result = veil("blur", tmp_path, "--detector", "nope")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("veil: error: unknown detector")
    result = veil("blur", tmp_path, "--thresh", "1.5")
    assert result.returncode == 2 and "threshold" in result.stderr
    result = veil("blur", tmp_path, "--precision", "fp16")
    assert result.returncode == 2 and "--precision" in result.stderr


def test_every_precision_redacts_the_face(tmp_path: Path, astronaut_bgr: np.ndarray) -> None:
    from veil.vision.detectors.openvino_runtime import native_bf16

    write_image(tmp_path / "a.png", astronaut_bgr)
    for precision in ("auto", "int8", "fp32", *(["bf16"] if native_bf16() else [])):
        output = tmp_path / precision
        result = veil("blur", tmp_path / "a.png", "-o", output, "--precision", precision, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["files"][0]["faces_redacted"] == 1
        assert not np.array_equal(read_image(output / "a.png").pixels, astronaut_bgr)


def test_help_teaches() -> None:
    result = veil("blur", "--help")
    assert result.returncode == 0
    for flag in (
        "--thresh",
        "--mask-scale",
        "--mode",
        "--shape",
        "--detector",
        "--max-side",
        "--precision",
        "--codec",
        "--crf",
        "--json",
        "--boxes-out",
        "--keep-metadata",
    ):
        assert flag in result.stdout
    assert "Examples" in result.stdout


def test_blur_logs_one_anonymize_event_per_output_once_a_ledger_exists(
    tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    import io

    from veil.ledger import Event, Ledger
    from veil.trace import file_digest

    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    # Before `veil ledger init` nothing is traced, and asking for the ledger is a clear error.
    assert veil("blur", photo, "-o", tmp_path / "plain.png").returncode == 0
    refused = veil("blur", photo, "-o", tmp_path / "x.png", "--ledger")
    assert refused.returncode == 2 and "veil ledger init" in refused.stderr
    assert not (tmp_path / "x.png").exists()
    with Ledger.open(origin="example.com/veil-test") as ledger:
        assert ledger.head().size == 0
    done = veil("blur", photo, "-o", tmp_path / "out.png", "--json", "--controller", "Shop Ltd")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ledger_indexes"] == [0]
    assert veil("blur", photo, "-o", tmp_path / "off.png", "--no-ledger").returncode == 0
    with Ledger.open(create=False) as ledger:
        exported = io.BytesIO()
        ledger.export(exported)
    (line,) = exported.getvalue().splitlines()
    event = Event.from_canonical(line)
    assert (event.action, event.system, event.controller) == ("anonymize", "veil-blur", "Shop Ltd")
    assert event.counts["faces_redacted"] == 1 and event.counts["frames_blanked"] == 0
    assert event.digests == {
        "input": file_digest(photo),
        "output": file_digest(tmp_path / "out.png"),
    }
    assert str(tmp_path) not in line.decode()  # no paths (they may name people) in the ledger
