"""The Ray side of a distributed run: joining the cluster offline, and the worker actors.

Each worker is a long-lived Ray actor holding its own :class:`~veil.pipeline.Anonymizer` (the
detector loads once per worker, not per file) and, for ``veil gate``, its own consent gate.
Ray stays optional: nothing imports it unless a run asks for ``--ray``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.config import cache_dir
from veil.errors import ConfigError
from veil.pipeline import AnonymizeOptions, FileResult, Job
from veil.scale.chunks import MIN_CHUNK_FRAMES, ChunkResult, VideoChunk
from veil.scale.policies import forwarded_env
from veil.vision.policy import FacePolicySpec, open_policy

# Ray would otherwise offer to send usage statistics; Veil sends nothing anywhere.
OFFLINE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}


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


def connect(address: str) -> Any:
    """Join (or start) the cluster with telemetry off; returns the ``ray`` module."""
    os.environ.update(OFFLINE_ENV)
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'veil[ray]'") from None
    if ray.is_initialized():
        return ray
    _messages_to_stderr()
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
    try:
        if address == "auto":
            try:
                ray.init(address="auto", **quiet)
            except ConnectionError:
                _start_local(ray, quiet)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    return ray


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

    def run_chunk(self, source: Path, chunk: VideoChunk) -> ChunkResult:
        """Anonymize and encode one chunk of a long video (see :mod:`veil.scale.chunks`)."""
        from veil.scale.chunks import anonymize_chunk

        return anonymize_chunk(self.anonymizer, source, chunk)

    def close(self) -> None:
        """Close the gate (logging its counted matches) and the registry."""
        self._resources.close()


def worker_count(ray: Any, settings: RaySettings) -> int:
    """How many workers the cluster holds at ``settings.cpus_per_worker`` each."""
    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    return settings.workers or max(1, int(cpus // settings.cpus_per_worker))


def start_workers(
    ray: Any,
    options: AnonymizeOptions,
    settings: RaySettings,
    policy: FacePolicySpec | None,
    count: int,
) -> list[Any]:
    """``count`` worker actors, each restarted (and its task retried) when its process dies."""
    threads = max(1, int(settings.cpus_per_worker))
    detection = dataclasses.replace(options.detection, threads=threads)
    worker_options = dataclasses.replace(options, overwrite=True, detection=detection)
    remote = ray.remote(AnonymizeWorker).options(
        num_cpus=settings.cpus_per_worker,
        max_restarts=settings.retries,
        max_task_retries=settings.retries,
        runtime_env={"env_vars": {**OFFLINE_ENV, **forwarded_env()}},
    )
    return [remote.remote(worker_options, policy) for _ in range(count)]


def stop_workers(ray: Any, idle: list[Any], busy: list[Any]) -> None:
    """Let idle workers close their gates (pending events logged); stop every worker."""
    from ray.exceptions import RayError

    with contextlib.suppress(RayError):  # a worker lost while closing: its counts are lost too
        ray.get([actor.close.remote() for actor in idle], timeout=60)
    for actor in idle + busy:
        ray.kill(actor)
