"""Helpers shared by the benchmarks: machine description, timing, peak memory, result files.

Benchmarks import this as ``from common import ...`` (each bench script puts ``bench/`` on
``sys.path`` by being run from it) or ``from bench.common import ...`` from the repository root.
Nothing here imports Veil, so peers' environments can use it too.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
WORK = BENCH / ".work"
PEERS = BENCH / ".peers"
SHARED_DATA = REPO.parent / "shared" / "data"


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo; else the platform's machine type)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str]:
    """CPU model, core count, memory, OS and Python: the header of every result file."""
    cpu = cpu_model()
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_before": load,
        "date": now_utc(),
    }


def now_utc() -> str:
    """The current UTC time, to the minute (ISO 8601)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine_markdown(info: dict[str, str] | None = None) -> str:
    """One markdown line describing the machine."""
    i = info or machine_info()
    return (
        f"{i['cpu']}, {i['cores']} cores, {i['memory']} RAM, {i['os']}, Python {i['python']}; "
        f"load average before the run {i['load_before']}; {i['date']}"
    )


def command_line(argv: Sequence[str | Path]) -> str:
    """A shell-quoted command line, relative to the repository root (``../shared`` for the data)."""
    shared = str(REPO.parent / "shared")
    parts = [
        str(a).replace(str(REPO) + "/", "").replace(str(REPO), ".").replace(shared, "../shared")
        for a in argv
    ]
    return shlex.join(parts)


@dataclass
class Run:
    """The outcome of one timed command."""

    argv: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str = ""
    stderr: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> Run:
        """Raise with the command's stderr when it failed."""
        if self.returncode != 0:
            raise RuntimeError(
                f"{command_line(self.argv)} exited {self.returncode}:\n{self.stderr[-2000:]}"
            )
        return self


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_measured(
    argv: Sequence[str | Path],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 3600,
    poll: float = 0.05,
) -> Run:
    """Run a command; wall time and peak RSS summed over its whole process tree (sampled)."""
    args = [str(a) for a in argv]
    peak = 0
    started = time.perf_counter()
    with subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    ) as proc:
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                done.wait(poll)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        finally:
            done.set()
            sampler.join()
        seconds = time.perf_counter() - started
    return Run(args, seconds, peak / 1024 / 1024, proc.returncode, stdout, stderr)


def best_of(repeats: int, measure: Callable[[], Run]) -> Run:
    """The fastest of ``repeats`` runs (the least disturbed by other work on a shared machine)."""
    runs = [measure().check() for _ in range(max(1, repeats))]
    best = min(runs, key=lambda r: r.seconds)
    best.extra["all_seconds"] = [round(r.seconds, 2) for r in runs]
    return best


def python_in(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / "bin" / "python"


def veil_python() -> Path:
    """Veil's own interpreter (the repository's ``.venv``, else the running one)."""
    candidate = python_in(REPO / ".venv")
    return candidate if candidate.exists() else Path(sys.executable)


def write_result(name: str, markdown: str) -> Path:
    """Write ``bench/results/<name>.md`` (atomically) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"{name}.md"
    temporary = target.with_name(f".{target.name}.partial")
    temporary.write_text(markdown, encoding="utf-8")
    os.replace(temporary, target)
    return target


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
