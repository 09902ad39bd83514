"""The inference runtimes stay offline: no telemetry files under $HOME, no internet sockets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Loads every runtime Veil uses the way a library user would (no CLI) and runs one detection.
SNIPPET = """
import numpy as np
from veil.vision.detectors import DetectorSettings, get_detector
for precision in ("auto", "fp32"):
    get_detector("centerface", DetectorSettings(precision=precision)).detect(
        np.zeros((64, 64, 3), np.uint8))
"""


def _run(tmp_path: Path, prefix: list[str]) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(REPO / "src"))
    env["VEIL_HOME"] = str(home / ".veil")
    env["VEIL_CACHE"] = str(home / ".cache" / "veil")
    for name in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME", "CI"):
        env.pop(name, None)
    subprocess.run([*prefix, sys.executable, "-c", SNIPPET], env=env, check=True, timeout=300)
    return home


def test_runtimes_write_nothing_under_home(tmp_path: Path) -> None:
    home = _run(tmp_path, [])
    allowed = {home / ".veil", home / ".cache" / "veil"}
    stray = [
        p
        for p in home.rglob("*")
        if not any(p == a or a in p.parents or p in a.parents for a in allowed)
    ]
    assert stray == [], f"files written outside VEIL_HOME and the cache: {stray}"


def test_runtimes_open_no_internet_socket(tmp_path: Path) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed (make system-deps installs it)")
    trace = tmp_path / "trace.txt"
    _run(tmp_path, [strace, "-f", "-qq", "-o", str(trace), "-e", "trace=socket,connect"])
    lines = trace.read_text().splitlines()
    inet = [line for line in lines if "AF_INET" in line or "htons(53)" in line]
    assert inet == [], f"internet sockets or DNS: {inet[:5]}"
