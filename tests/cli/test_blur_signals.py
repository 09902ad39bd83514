"""SIGTERM during a video blur leaves nothing behind; a SIGKILL's leftover goes on the next run."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from veil.media.atomic import atomic_output, remove_stale_partials

VEIL = [sys.executable, "-m", "veil.cli.main"]
FLAGS = ["--precision", "fp32", "--no-ledger", "--quiet"]


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".clip.*.partial.mp4")) if folder.exists() else []


def start_blur(clip: Path, target: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*VEIL, "blur", str(clip), "-o", str(target), *FLAGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_partial(process: subprocess.Popen[str], folder: Path) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = partials(folder)
        if found:
            time.sleep(0.3)  # let the encoder get going
            return found[0]
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"no partial output appeared: {process.communicate()}")


@pytest.fixture
def long_clip(tmp_path: Path, make_video: Callable[..., Path]) -> Path:
    return make_video(tmp_path / "clip.mp4", frames=1200, fps=30)


def test_sigterm_removes_the_partial(tmp_path: Path, long_clip: Path) -> None:
    out = tmp_path / "out"
    process = start_blur(long_clip, out / "clip.mp4")
    wait_for_partial(process, out)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "veil: terminated"
    assert "Traceback" not in stderr
    assert partials(out) == [] and not (out / "clip.mp4").exists()


def test_next_run_removes_what_sigkill_left(tmp_path: Path, long_clip: Path) -> None:
    out = tmp_path / "out"
    process = start_blur(long_clip, out / "clip.mp4")
    stale = wait_for_partial(process, out)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert stale.exists()  # SIGKILL cannot be caught
    short = tmp_path / "short" / "clip.mp4"
    short.parent.mkdir()
    os.replace(long_clip, short)  # the rerun may be quick
    result = subprocess.run(
        [*VEIL, "blur", str(short), "-o", str(out / "clip.mp4"), *FLAGS, "--max-side", "160"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and partials(out) == []
    assert (out / "clip.mp4").stat().st_size > 0


def test_a_partial_held_by_a_live_writer_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    with atomic_output(target) as temporary:
        temporary.write_bytes(b"being written")
        assert remove_stale_partials(target) == []  # our own lock: a live writer
        assert temporary.exists()
    orphan = tmp_path / ".clip.abcd_123.partial.mp4"
    orphan.write_bytes(b"left by a killed run")
    other = tmp_path / ".clip.v2.abcd1234.partial.mp4"  # a different target's (clip.v2.mp4)
    other.write_bytes(b"x")
    with open(orphan, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert remove_stale_partials(target) == []
    assert remove_stale_partials(target) == [orphan]
    assert other.exists()
