"""Run a batch of anonymization jobs on a Ray cluster, with the same results as the local run.

Each worker is a long-lived Ray actor holding its own :class:`~veil.pipeline.Anonymizer` (the
detector loads once per worker, not per file). The driver alone decides what to skip, logs each
output in the ledger and keeps the run manifest, so a thousand workers never fork the log or log
twice: an output is logged under the event id the manifest gave it before work began, and the
ledger refuses a second event with that id. A worker that dies is restarted and its task retried;
outputs are written atomically, so a retried file is written once and never looks complete early.

Ray stays optional: nothing imports it unless a run asks for ``--ray``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veil.config import cache_dir
from veil.errors import ConfigError, VeilError
from veil.pipeline import AnonymizeOptions, BatchSummary, FileResult, Job, Status
from veil.scale.manifest import Manifest
from veil.scale.policies import GatePolicySpec, forwarded_env
from veil.trace import RunTrace, file_digest

# Ray would otherwise offer to send usage statistics; Veil sends nothing anywhere.
OFFLINE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}


@dataclass(frozen=True)
class RaySettings:
    """Where the cluster is and how much of it one worker takes.

    ``address``: ``auto`` (the running cluster if there is one, else a new one on this machine)
    or a cluster address (``ray://host:10001``, ``host:6379``). ``workers``: how many detector
    actors (``0``: as many as the cluster's CPUs allow). ``retries``: how often a lost worker's
    task is retried before that input counts as failed.
    """

    address: str = "auto"
    workers: int = 0
    cpus_per_worker: float = 1.0
    retries: int = 3

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

    def __init__(self, options: AnonymizeOptions, policy: GatePolicySpec | None = None) -> None:
        from veil.pipeline import Anonymizer

        self._resources = contextlib.ExitStack()
        gate = policy.open(self._resources) if policy is not None else None
        self.anonymizer = Anonymizer(options, policy=gate)

    def run(self, job: Job) -> FileResult:
        """Anonymize one input exactly as the local batch does (failures become results)."""
        from veil.pipeline import run_batch

        return run_batch([job], self.anonymizer).files[0]

    def close(self) -> None:
        """Close the gate (logging its counted matches) and the registry."""
        self._resources.close()


@dataclass
class _Task:
    slot: int
    job: Job
    digest: str
    event_id: str | None


def _skip(job: Job, why: str) -> FileResult:
    return FileResult(str(job.source), str(job.target), job.kind, Status.SKIPPED, why)


def _plan(
    jobs: list[Job], options: AnonymizeOptions, manifest: Manifest | None
) -> tuple[list[FileResult | None], list[_Task]]:
    """Decide on the driver what to skip and what to send to workers (and note it started)."""
    slots: list[FileResult | None] = [None] * len(jobs)
    tasks: list[_Task] = []
    for slot, job in enumerate(jobs):
        try:
            digest = file_digest(job.source) if manifest is not None else ""
        except OSError as exc:
            slots[slot] = FileResult(str(job.source), None, job.kind, Status.FAILED, f"{exc}")
            continue
        begun = manifest is not None and manifest.started(digest, job.target)
        if manifest is not None and not options.overwrite and manifest.finished(digest, job.target):
            slots[slot] = _skip(job, "already anonymized by an earlier run with these options")
        elif job.target.exists() and not options.overwrite and not begun:
            slots[slot] = _skip(job, "output exists (use --overwrite to replace it)")
        else:
            event_id = manifest.start(digest, job.target) if manifest is not None else None
            tasks.append(_Task(slot, job, digest, event_id))
    return slots, tasks


def run_batch_on_ray(
    jobs: list[Job],
    options: AnonymizeOptions,
    settings: RaySettings,
    *,
    policy: GatePolicySpec | None = None,
    trace: RunTrace | None = None,
    manifest: Manifest | None = None,
    on_start: Callable[[Job], None] | None = None,
    progress: Callable[[int], None] | None = None,
    on_done: Callable[[FileResult], None] | None = None,
) -> BatchSummary:
    """Process ``jobs`` on the cluster; the summary lists them in order, as the local run does.

    ``policy`` opens a consent gate in each worker (default: redact every face).
    """
    ray = connect(settings.address)
    slots, tasks = _plan(jobs, options, manifest)
    for result in slots:
        if result is not None and on_done is not None:
            on_done(result)
    if tasks:
        actors = _actors(ray, options, settings, policy, len(tasks))
        _run_tasks(ray, actors, tasks, slots, trace, manifest, on_start, progress, on_done)
    return BatchSummary(files=[r for r in slots if r is not None])


def _actors(
    ray: Any,
    options: AnonymizeOptions,
    settings: RaySettings,
    policy: GatePolicySpec | None,
    wanted: int,
) -> list[Any]:
    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    count = settings.workers or max(1, int(cpus // settings.cpus_per_worker))
    threads = max(1, int(settings.cpus_per_worker))
    detection = dataclasses.replace(options.detection, threads=threads)
    worker_options = dataclasses.replace(options, overwrite=True, detection=detection)
    remote = ray.remote(AnonymizeWorker).options(
        num_cpus=settings.cpus_per_worker,
        max_restarts=settings.retries,
        max_task_retries=settings.retries,
        runtime_env={"env_vars": {**OFFLINE_ENV, **forwarded_env()}},
    )
    return [remote.remote(worker_options, policy) for _ in range(min(count, wanted))]


def _run_tasks(
    ray: Any,
    idle: list[Any],
    tasks: list[_Task],
    slots: list[FileResult | None],
    trace: RunTrace | None,
    manifest: Manifest | None,
    on_start: Callable[[Job], None] | None,
    progress: Callable[[int], None] | None,
    on_done: Callable[[FileResult], None] | None,
) -> None:
    from ray.exceptions import RayError

    waiting = deque(tasks)
    pending: dict[Any, tuple[_Task, Any]] = {}
    try:
        while waiting or pending:
            while idle and waiting:
                task, actor = waiting.popleft(), idle.pop()
                if on_start is not None:
                    on_start(task.job)
                pending[actor.run.remote(task.job)] = (task, actor)
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            task, actor = pending.pop(ready)
            idle.append(actor)
            try:
                result: FileResult = ray.get(ready)
            except RayError as exc:
                reason = (str(exc).strip().splitlines() or ["worker lost"])[-1]
                result = FileResult(
                    str(task.job.source),
                    None,
                    task.job.kind,
                    Status.FAILED,
                    f"{task.job.source}: the Ray worker failed: {reason}",
                )
            if result.status is Status.OK:
                _log(result, task, trace, manifest)
            slots[task.slot] = result
            if progress is not None:
                progress(max(1, result.frames))
            if on_done is not None:
                on_done(result)
    finally:
        _close(ray, idle, [actor for _, actor in pending.values()])


def _close(ray: Any, idle: list[Any], busy: list[Any]) -> None:
    """Let idle workers close their gates (pending events logged); stop every worker."""
    from ray.exceptions import RayError

    with contextlib.suppress(RayError):  # a worker lost while closing: its counts are lost too
        ray.get([actor.close.remote() for actor in idle], timeout=60)
    for actor in idle + busy:
        ray.kill(actor)


def _log(
    result: FileResult, task: _Task, trace: RunTrace | None, manifest: Manifest | None
) -> None:
    """Ledger first, then the manifest: a crash between them redoes the file, logs it once."""
    try:
        if trace is not None:
            trace.record(result, task.event_id)
        if manifest is not None:
            manifest.finish(task.digest, task.job.target)
    except VeilError as exc:
        result.status, result.error = Status.FAILED, f"{task.job.source}: {exc}"
