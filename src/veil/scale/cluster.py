"""The Ray side of a distributed run: joining the cluster offline, and the worker actors.

Each worker is a long-lived Ray actor holding its own :class:`~veil.pipeline.Anonymizer` (the
detector loads once per worker, not per file) and, for ``veil gate``, its own consent gate.
Ray stays optional: nothing imports it unless a run asks for ``--ray``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.config import cache_dir
from veil.errors import ClusterError, ConfigError
from veil.pipeline import AnonymizeOptions, FileResult, Job
from veil.scale.chunks import MIN_CHUNK_FRAMES, ChunkResult, VideoChunk
from veil.scale.policies import forwarded_env
from veil.vision.policy import FacePolicySpec, open_policy

# Ray would otherwise offer to send usage statistics; Veil sends nothing anywhere.
OFFLINE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}
CONNECT_TIMEOUT_ENV = "VEIL_RAY_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT = 30.0  # seconds to join a cluster (Ray alone would retry for minutes)
# An HTTP/2 client's first words and an empty SETTINGS frame: any gRPC server answers them.
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


@dataclass(frozen=True)
class RaySettings:
    """Where the cluster is and how much of it one worker takes.

    ``address``: ``auto`` (the running cluster if there is one, else a new one on this machine)
    or a cluster address (``ray://host:10001``, ``host:6379``). ``workers``: how many detector
    actors (``0``: as many as the cluster's CPUs allow). ``retries``: how often a lost worker's
    task is retried before that input counts as failed. Videos of at least twice
    ``min_chunk_frames`` frames are cut into chunks that workers anonymize in parallel.
    """

    address: str = "auto"
    workers: int = 0
    cpus_per_worker: float = 1.0
    retries: int = 3
    min_chunk_frames: int = MIN_CHUNK_FRAMES

    def __post_init__(self) -> None:
        if self.workers < 0 or self.cpus_per_worker <= 0 or self.retries < 0:
            raise ConfigError("--ray-workers, CPUs per worker and retries must be positive")


def _start_local(ray: Any, quiet: dict[str, Any]) -> None:
    """A cluster on this machine: token auth with a token kept in memory (Ray would write it to
    ``~/.ray``), its session files in Veil's cache, no dashboard."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    scratch = cache_dir() / "ray"
    scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
    ray.init(include_dashboard=False, _temp_dir=str(scratch), **quiet)


def _messages_to_stderr() -> None:
    """Ray's driver prints cluster messages ("a worker died ...") on stdout, which belongs to
    ``--json``; send them to stderr instead (a guarded patch of Ray's printer)."""
    import ray._private.worker as driver

    printer = getattr(driver, "print_to_stdstream", None)
    if printer is None or getattr(printer, "veil_stderr", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        printer({**data, "is_err": True}, ignore_prefix)

    to_stderr.veil_stderr = True  # type: ignore[attr-defined]
    driver.print_to_stdstream = to_stderr


def connect_timeout() -> float:
    """Seconds allowed to join a cluster: ``VEIL_RAY_CONNECT_TIMEOUT`` (default 30)."""
    text = os.environ.get(CONNECT_TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_CONNECT_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{CONNECT_TIMEOUT_ENV} must be a positive number of seconds: {text!r}")
    return value


def _unreachable(address: str, why: object) -> ClusterError:
    return ClusterError(f"cannot reach the Ray cluster at {address}: {why}", exit_code=2)


def _probe(address: str, timeout: float) -> None:
    """Fail within ``timeout`` when nothing at ``host:port`` speaks gRPC, as Ray's GCS and
    client server do (Ray itself would retry for minutes): the HTTP/2 preface must be
    answered."""
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not port.isdigit():
        return  # no port named: Ray's defaults apply, the bounded init below still holds
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as peer:
            peer.sendall(HTTP2_PREFACE)
            if not peer.recv(9):
                raise _unreachable(address, "it closed the connection")
    except TimeoutError:
        raise _unreachable(
            address, f"no answer within {timeout:g} s ({CONNECT_TIMEOUT_ENV})"
        ) from None
    except OSError as exc:
        raise _unreachable(address, exc.strerror or exc) from None


def _init_within(ray: Any, timeout: float, **kwargs: Any) -> None:
    """``ray.init(**kwargs)``, given up after ``timeout`` seconds (it runs in a thread)."""
    outcome: list[BaseException] = []

    def join() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=join, name="veil-ray-connect", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s ({CONNECT_TIMEOUT_ENV})")
    if outcome:
        raise outcome[0]


def connect(address: str) -> Any:
    """Join (or start) the cluster with telemetry off; returns the ``ray`` module.

    Joining is bounded by :func:`connect_timeout`: an address that does not answer is a
    :class:`~veil.errors.ClusterError` with exit status 2.
    """
    os.environ.update(OFFLINE_ENV)
    # Ray's own retry warnings would interleave with Veil's one error line on stderr.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'veil[ray]'") from None
    if ray.is_initialized():
        return ray
    timeout = connect_timeout()
    _messages_to_stderr()
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
    try:
        if address == "auto":
            try:
                _init_within(ray, timeout, address="auto", **quiet)
            except ConnectionError:
                _start_local(ray, quiet)
        else:
            started = time.monotonic()
            _probe(address, timeout)
            left = max(1.0, timeout - (time.monotonic() - started))
            _init_within(ray, left, address=address, **quiet)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
        raise _unreachable(address, exc) from None
    return ray


def cluster_failure(exc: BaseException) -> ClusterError:
    """A lost worker (past its retries), lost objects or a lost cluster, as one error."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1].strip()
    return ClusterError(
        f"the Ray cluster failed the run ({type(exc).__name__}: {reason}); outputs finished "
        "so far are kept and logged, and a rerun resumes the rest"
    )


class AnonymizeWorker:
    """One Ray actor: a detector (and a gate, when asked) opened once, anonymizing jobs."""

    def __init__(self, options: AnonymizeOptions, policy: FacePolicySpec | None = None) -> None:
        from veil.pipeline import Anonymizer

        self._resources = contextlib.ExitStack()
        gate = open_policy(policy, self._resources)
        self.anonymizer = Anonymizer(options, policy=gate)

    def run(self, job: Job) -> FileResult:
        """Anonymize one input exactly as the local batch does (failures become results)."""
        from veil.pipeline import run_batch

        return run_batch([job], self.anonymizer).files[0]

    def run_chunk(self, source: Path, chunk: VideoChunk, spool: Path) -> ChunkResult:
        """Anonymize and encode one chunk of a long video (see :mod:`veil.scale.chunks`); its
        packets go to the file ``spool``, not back through the object store."""
        from veil.scale.chunks import anonymize_chunk

        return anonymize_chunk(self.anonymizer, source, chunk, spool)

    def close(self) -> None:
        """Close the gate (logging its counted matches) and the registry."""
        self._resources.close()


def worker_plan(ray: Any, settings: RaySettings) -> tuple[int, float]:
    """How many workers to start and the CPUs each takes: ``settings.workers`` (or as many as
    the cluster holds at ``settings.cpus_per_worker``), each given a share small enough that
    all of them fit at once (an actor that cannot be placed would wait forever)."""
    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    count = settings.workers or max(1, int(cpus // settings.cpus_per_worker))
    share = min(settings.cpus_per_worker, math.floor(cpus / count * 100) / 100)
    return count, max(0.01, share)


def start_workers(
    ray: Any,
    options: AnonymizeOptions,
    settings: RaySettings,
    policy: FacePolicySpec | None,
    count: int,
    cpus: float,
) -> list[Any]:
    """``count`` worker actors of ``cpus`` CPUs each, restarted (and their task retried)
    ``settings.retries`` times when their process dies."""
    threads = max(1, int(cpus))
    detection = dataclasses.replace(options.detection, threads=threads)
    worker_options = dataclasses.replace(options, overwrite=True, detection=detection)
    remote = ray.remote(AnonymizeWorker).options(
        num_cpus=cpus,
        max_restarts=settings.retries,
        max_task_retries=settings.retries,
        runtime_env={"env_vars": {**OFFLINE_ENV, **forwarded_env()}},
    )
    return [remote.remote(worker_options, policy) for _ in range(count)]


def stop_workers(ray: Any, idle: list[Any], busy: list[Any]) -> None:
    """Let idle workers close their gates (pending events logged); stop every worker.

    Never raises: after a lost cluster there may be nothing left to stop.
    """
    from ray.exceptions import RayError

    with contextlib.suppress(RayError):  # a worker lost while closing: its counts are lost too
        ray.get([actor.close.remote() for actor in idle], timeout=60)
    for actor in idle + busy:
        with contextlib.suppress(RayError, ValueError):
            ray.kill(actor)
