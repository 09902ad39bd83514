"""Helpers for tests that run real ``veil serve`` processes (this checkout's sources)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO
from tests.ledger.ledger_helpers import make_event

VEIL = [sys.executable, "-m", "veil.cli.main"]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``veil`` child process: this checkout first, ``home``, settings."""
    path = os.pathsep.join([str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "VEIL_HOME": str(home), "PYTHONPATH": path}
    env.update({f"VEIL_SERVE_{k.upper()}": v for k, v in settings.items()})
    return env


def start_serve(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    """Start ``veil serve --port PORT ARGS`` and wait until ``/healthz`` answers."""
    proc = subprocess.Popen(
        [*VEIL, "serve", "--port", str(port), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise AssertionError(f"veil serve exited {proc.returncode}: {out}") from None
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("veil serve did not start") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server (kill it if it hangs)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def event_batch(n: int, tag: str) -> list[dict[str, Any]]:
    """``n`` distinct valid events as JSON objects."""
    return [json.loads(make_event(0, system=f"gate-{tag}").canonical()) for _ in range(n)]


def run_veil(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``veil`` command; its exit status and output."""
    return subprocess.run([*VEIL, *args], env=env, capture_output=True, text=True, timeout=120)
