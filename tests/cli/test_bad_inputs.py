"""Bad inputs through the command line: one line naming the file or setting, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veil.media.images import write_image


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    environment["VEIL_HOME"] = str(tmp_path / "home")
    return environment


def veil(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``veil: error:`` lines of a run, after checking nothing else went wrong on stderr."""
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("veil: error:")]


@pytest.fixture
def huge_and_good(tmp_path: Path) -> tuple[Path, Path]:
    """A 12000x12000 PNG (144 megapixels, a few kB) and a small good image beside it."""
    folder = tmp_path / "in"
    folder.mkdir()
    huge = folder / "huge.png"
    Image.new("1", (12000, 12000), 0).save(huge)
    good = folder / "good.png"
    write_image(good, np.full((64, 64, 3), 90, np.uint8))
    return huge, good


def test_blur_refuses_huge_images_and_goes_on(
    env: dict[str, str], tmp_path: Path, huge_and_good: tuple[Path, Path]
) -> None:
    huge, good = huge_and_good
    out = tmp_path / "out"
    result = veil(env, "blur", huge, good, "-o", out, "--json", "--precision", "fp32")
    assert result.returncode == 1
    errors = no_traceback(result)
    assert len(errors) == 1 and "huge.png" in errors[0] and "too large" in errors[0]
    assert json.loads(result.stdout)["totals"]["ok"] == 1
    assert (out / "good.png").exists() and not (out / "huge.png").exists()


def test_gate_and_enroll_refuse_huge_images_and_gate_unwritable_outputs(
    env: dict[str, str], tmp_path: Path, huge_and_good: tuple[Path, Path]
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    huge, good = huge_and_good
    assert veil(env, "consent", "init-key").returncode == 0
    assert veil(env, "consent", "purpose", "add", "greet").returncode == 0
    out = tmp_path / "out"
    result = veil(env, "gate", huge, good, "-p", "greet", "-o", out, "-q", "--precision", "fp32")
    assert result.returncode == 1
    errors = no_traceback(result)
    assert len(errors) == 1 and "huge.png" in errors[0] and "too large" in errors[0]
    assert (out / "good.png").exists() and not (out / "huge.png").exists()
    regular = tmp_path / "somefile.txt"
    regular.write_text("x")
    unwritable = veil(env, "gate", good, "-p", "greet", "-o", regular / "out", "-q")
    assert unwritable.returncode == 1
    (error,) = no_traceback(unwritable)
    assert "cannot write output" in error and "somefile.txt is not a folder" in error
    grant = veil(env, "consent", "grant", "-s", "m", "--controller", "Shop", "-p", "greet",
                 "--notice-version", "v1", "--notice-digest", "sha256:" + "0" * 64,
                 "--method", "app")  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    enrolled = veil(env, "consent", "enroll", "-s", "m", "-p", "greet", huge)
    assert enrolled.returncode == 1
    errors = no_traceback(enrolled)
    assert len(errors) == 1 and "huge.png" in errors[0] and "too large" in errors[0]


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_blur_to_an_unwritable_folder_is_one_line_per_input(
    env: dict[str, str],
    tmp_path: Path,
    astronaut_bgr: np.ndarray,
    make_video: Callable[..., Path],
    where: str,
) -> None:
    regular = tmp_path / "somefile.txt"
    regular.write_text("x")
    out = regular / "out" if where == "under-a-file" else Path("/proc/version/out")
    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    clip = make_video(tmp_path / "clip.mp4", frames=4)
    result = veil(env, "blur", photo, clip, "-o", out, "-q", "--precision", "fp32")
    assert result.returncode == 1  # an output that cannot be written is a failed input
    errors = no_traceback(result)
    assert len(errors) == 2
    assert all("cannot write output" in e and "not a folder" in e for e in errors)
    assert {Path(e.split(": ")[2]).name for e in errors} == {"a.png", "clip.mp4"}
    single = veil(env, "blur", clip, "-o", out / "clip.mp4", "-q", "--precision", "fp32")
    assert single.returncode == 1 and len(no_traceback(single)) == 1


def test_ledger_init_with_an_unwritable_home_is_a_config_error(
    env: dict[str, str], tmp_path: Path
) -> None:
    regular = tmp_path / "somefile.txt"
    regular.write_text("x")
    for home in (regular / "home", Path("/proc/version/home")):
        result = veil({**env, "VEIL_HOME": str(home)}, "ledger", "init")
        assert result.returncode == 2
        errors = no_traceback(result)
        assert errors == result.stderr.strip().splitlines()
        assert len(errors) == 1 and "VEIL_HOME" in errors[0] and str(home) in errors[0]
    keys = veil(env, "ledger", "init", "--keys", regular / "keys")
    assert keys.returncode == 2 and len(no_traceback(keys)) == 1 and "keys" in keys.stderr


def truncated_copy(original: Path, folder: Path) -> Path:
    """The first third of a model file, under its own name in ``folder`` (other files linked)."""
    folder.mkdir(parents=True)
    for other in original.parent.iterdir():
        if other.is_file() and other.name != original.name:
            (folder / other.name).symlink_to(other)
    copy = folder / original.name
    copy.write_bytes(original.read_bytes()[: original.stat().st_size // 3])
    return copy


def test_a_truncated_centerface_file_is_a_config_error_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    from veil.vision.detectors.centerface import find_weights

    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    weights = truncated_copy(find_weights(), tmp_path / "models")
    out = tmp_path / "out"
    damaged = {**env, "VEIL_CENTERFACE_ONNX": str(weights)}
    result = veil(damaged, "blur", photo, "-o", out, "-q")
    assert result.returncode == 2, result.stderr
    errors = no_traceback(result)
    assert errors == result.stderr.strip().splitlines() and len(errors) == 1
    assert "VEIL_CENTERFACE_ONNX" in errors[0] and str(weights) in errors[0]
    assert not out.exists()  # fail closed: no output at all, least of all an unredacted one


def test_a_truncated_dlib_model_is_a_config_error_at_gate_and_enroll(
    env: dict[str, str], tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    from veil.vision.embeddings import models_dir

    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    assert veil(env, "consent", "init-key").returncode == 0
    assert veil(env, "consent", "purpose", "add", "greet").returncode == 0
    grant = veil(env, "consent", "grant", "-s", "m", "--controller", "Shop", "-p", "greet",
                 "--notice-version", "v1", "--notice-digest", "sha256:" + "0" * 64,
                 "--method", "app")  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    name = "shape_predictor_5_face_landmarks.dat"
    damaged = truncated_copy(models_dir() / name, tmp_path / "dlib")
    bad_env = {**env, "VEIL_DLIB_MODELS": str(damaged.parent)}
    out = tmp_path / "out.png"
    gate = veil(bad_env, "gate", photo, "-p", "greet", "-o", out, "-q", "--precision", "fp32")
    enroll = veil(bad_env, "consent", "enroll", "-s", "m", "-p", "greet", photo)
    for result in (gate, enroll):
        assert result.returncode == 2, result.stderr
        errors = no_traceback(result)
        assert errors == result.stderr.strip().splitlines() and len(errors) == 1
        assert "VEIL_DLIB_MODELS" in errors[0] and name in errors[0]
    assert not out.exists()


def test_consent_grant_with_too_many_days_is_a_usage_error(env: dict[str, str]) -> None:
    assert veil(env, "consent", "purpose", "add", "greet").returncode == 0
    grant = ("consent", "grant", "-s", "m", "--controller", "Shop", "-p", "greet",
             "--notice-version", "v1", "--notice-digest", "sha256:" + "0" * 64, "--method", "app")  # fmt: skip
    for days in ("3000000", "36501", "99999999999999"):
        result = veil(env, *grant, "--days", days)
        assert result.returncode == 2, result.stderr
        errors = no_traceback(result)
        assert errors == result.stderr.strip().splitlines() and len(errors) == 1
        assert "1 to 36500 days" in errors[0]
    listed = veil(env, "consent", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert veil(env, *grant, "--days", "36500").returncode == 0
