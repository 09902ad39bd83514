"""Veil stays offline: the inference runtimes, and every main command as a user runs it, open no
internet socket, send no DNS query and create nothing under $HOME outside VEIL_HOME and the cache."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_apk import write_tiny_apk

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


# --- every main command, as a user runs it, under `strace -f` ------------------------------------

TRACE = "%network,openat,?open,?creat,?mkdir,mkdirat,?rename,renameat,renameat2"
EVENT = (
    '{"action": "collect", "controller": "Example Shop Ltd", "system": "gate-1", '
    '"data_categories": ["image.scene"], "purpose": "entrance monitoring", '
    '"legal_basis": "contract"}\n'
)
# a network socket, or a name lookup through the system's resolver daemons
_NETWORK = re.compile(r"AF_INET|htons\(53\)|nscd|io\.systemd\.Resolve|/run/dbus")
# syscalls that create a file or folder, and the path they create (absolute or cwd-relative)
_CREATES = (
    re.compile(r'\bopenat\(AT_FDCWD, "([^"]*)", [^)]*O_CREAT'),
    re.compile(r'\bopen\("([^"]*)", [^)]*O_CREAT'),
    re.compile(r'\bcreat\("([^"]*)"'),
    re.compile(r'\bmkdir\("([^"]*)"'),
    re.compile(r'\bmkdirat\(AT_FDCWD, "([^"]*)"'),
    re.compile(r'\brename\("[^"]*", "([^"]*)"'),
    re.compile(r'\brenameat2?\(AT_FDCWD, "[^"]*", AT_FDCWD, "([^"]*)"'),
)


@dataclass
class Traced:
    """What one command did that an offline tool must not: sockets and files under $HOME."""

    network: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    skipped: str | None = None


class Session:
    """A fresh $HOME (VEIL_HOME and the cache inside it) and a work folder beside it."""

    def __init__(self, root: Path, strace: str) -> None:
        self.strace, self.home, self.work = strace, root / "home", root / "work"
        self.home.mkdir()
        self.work.mkdir()
        self.allowed = (self.home / ".veil", self.home / ".cache" / "veil")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
        self.env.update(HOME=str(self.home), PYTHONPATH=str(REPO / "src"))
        self.env.update(VEIL_HOME=str(self.allowed[0]), VEIL_CACHE=str(self.allowed[1]))
        for name in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "CI"):
            self.env.pop(name, None)

    def _outside(self, path: Path) -> bool:
        inside = path == self.home or self.home in path.parents
        return inside and not any(
            path == a or a in path.parents or path in a.parents for a in self.allowed
        )

    def run(self, name: str, *args: str | Path, stdin: str | None = None, code: int = 0) -> Traced:
        """Run ``veil ARGS`` under ``strace -f``; fail unless it exits with ``code``."""
        trace = self.work / f"{name}.strace"
        command = [self.strace, "-f", "-qq", "-s", "4096", "-o", str(trace), "-e", TRACE]
        command += [sys.executable, "-m", "veil.cli.main", *map(str, args)]
        result = subprocess.run(command, env=self.env, cwd=self.work, input=stdin,
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        assert result.returncode == code, f"veil {name}: {result.stderr[-2000:]}"
        found = Traced()
        for line in trace.read_text(errors="replace").splitlines():
            if _NETWORK.search(line):
                found.network.append(line)
            for pattern in _CREATES:
                match = pattern.search(line)
                if match and self._outside(self.work / match.group(1)):
                    found.stray.append(line)
        found.stray += [str(p) for p in self.home.rglob("*") if self._outside(p)]
        return found


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Traced]:
    """Run the main commands once, in one fresh $HOME (models load once per command)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed (make system-deps installs it)")
    skimage_data = pytest.importorskip("skimage.data")
    from veil.media.images import write_image

    s = Session(tmp_path_factory.mktemp("offline"), strace)
    photo = s.work / "set" / "img" / "astronaut.png"
    photo.parent.mkdir(parents=True)
    write_image(photo, np.ascontiguousarray(skimage_data.astronaut()[:, :, ::-1]))
    (s.work / "set" / "boxes.csv").write_text(
        "image,x,y,w,h,ignore\nimg/astronaut.png,180,60,90,120,0\n"
    )
    runs = {
        "ledger init": s.run("ledger-init", "ledger", "init"),
        "ledger append": s.run("ledger-append", "ledger", "append", stdin=EVENT),
        "ledger verify": s.run("ledger-verify", "ledger", "verify"),
        "blur": s.run("blur", "blur", photo, "-o", s.work / "blurred.png", "--json"),
        "eval": s.run("eval", "eval", "faces", s.work / "set", "--json"),
    }
    if importlib.util.find_spec("face_recognition_models") is None:
        runs["gate"] = Traced(skipped="dlib face models not installed")
    else:
        s.run("init-key", "consent", "init-key")
        s.run("purpose", "consent", "purpose", "add", "greet")
        runs["gate"] = s.run("gate", "gate", photo, "-p", "greet", "-o", s.work / "gated.png")
    apk = write_tiny_apk(s.work / "tiny.apk", ["android.permission.CAMERA"])
    runs["check apk"] = s.run("check-apk", "check", "apk", apk, "--type", "38", code=1)
    return runs


@pytest.mark.parametrize(
    "name", ["blur", "gate", "ledger init", "ledger append", "ledger verify", "check apk", "eval"]
)
def test_command_stays_offline(commands: dict[str, Traced], name: str) -> None:
    found = commands[name]
    if found.skipped:
        pytest.skip(found.skipped)
    assert found.network == [], f"veil {name}: internet sockets or DNS: {found.network[:5]}"
    assert found.stray == [], f"veil {name}: created under $HOME: {found.stray[:5]}"
