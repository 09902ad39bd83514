"""One local Ray cluster for the whole run (``ray start --head``), shared by every scale test.

The cluster's processes are told apart from any other Ray on the machine by the auth token the
fixture made for them (in their environment): only those are stopped, never ``ray stop``.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Cluster:
    address: str
    env: dict[str, str]

    @property
    def token(self) -> str:
        return self.env["RAY_AUTH_TOKEN"]


def own_processes(token: str, named: bytes = b"") -> list[int]:
    """Processes started for this cluster (its token in their environment), ``named`` in
    their command line; never this test process."""
    marker = f"RAY_AUTH_TOKEN={token}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0") and (
                named in (proc / "cmdline").read_bytes()
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def stop_own_cluster(token: str) -> None:
    """SIGTERM the cluster's own processes, then SIGKILL what is left after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
        for pid in own_processes(token):
            try:
                os.kill(pid, sig)
            except OSError:
                continue
        deadline = time.monotonic() + grace
        while own_processes(token) and time.monotonic() < deadline:
            time.sleep(0.5)


def ray_cli() -> str:
    return str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    patch = pytest.MonkeyPatch()
    for name, value in token.items():  # set before Ray loads: a test may be the driver itself
        patch.setenv(name, value)
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'veil[ray]')")
    temp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **token}
    port = free_port()
    subprocess.run(
        [
            ray_cli(),
            "start",
            "--head",
            "--num-cpus=2",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--include-dashboard=false",
            f"--temp-dir={temp}",
            "--disable-usage-stats",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    subprocess.run(  # a second node, its own raylet: the cluster is two nodes on this machine
        [
            ray_cli(),
            "start",
            f"--address=127.0.0.1:{port}",
            "--num-cpus=1",
            "--node-ip-address=127.0.0.1",
            "--disable-usage-stats",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    try:
        yield Cluster(f"127.0.0.1:{port}", env)
    finally:
        stop_own_cluster(token["RAY_AUTH_TOKEN"])
        patch.undo()
