"""One anonymization batch as ``veil blur`` and ``veil gate`` run it (and the service will).

:func:`anonymize_batch` plans the outputs, runs every job here or on a Ray cluster, writes the
review boxes and logs each written output in the trace ledger as it finishes; the caller only
watches (:class:`BatchWatcher`) and presents the typed :class:`BatchOutcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from veil.boxes import BoxesWriter
from veil.errors import ConfigError
from veil.pipeline import (
    AnonymizeOptions,
    Anonymizer,
    BatchSummary,
    FileResult,
    Job,
    MediaKind,
    plan_outputs,
    run_batch,
)
from veil.trace import RunTrace, TraceSettings, ledger_configured
from veil.vision.policy import FacePolicy

if TYPE_CHECKING:
    from veil.scale.policies import GatePolicySpec
    from veil.scale.ray_runner import RaySettings


@dataclass(frozen=True)
class BatchRequest:
    """What to anonymize, how, and where the run is logged and executed."""

    inputs: tuple[Path, ...]
    output: Path | None
    options: AnonymizeOptions
    boxes_out: Path | None = None
    trace: TraceSettings | None = None
    ray: RaySettings | None = None


@dataclass
class BatchOutcome:
    """The batch's summary (planning problems first) and the ledger leaves it logged."""

    summary: BatchSummary
    ledger_indexes: list[int] = field(default_factory=list)
    logged: bool = False  # a ledger was open for the run


class BatchWatcher(Protocol):
    """What a caller sees of a running batch (a progress bar, a log)."""

    def planned(self, jobs: list[Job], problems: list[FileResult]) -> None:
        """Outputs are planned; ``problems`` are inputs refused before any work."""

    def started(self, job: Job) -> None:
        """``job`` begins."""

    def advanced(self, frames: int) -> None:
        """``frames`` more frames are done."""

    def done(self, result: FileResult) -> None:
        """One input finished (written, skipped or failed)."""


def job_frames(job: Job) -> int:
    """Frames ``job`` will process (1 for an image, or when the video cannot be probed)."""
    from veil.media.video import probe_video

    if job.kind is MediaKind.IMAGE:
        return 1
    try:
        return max(1, probe_video(job.source).frame_count)
    except Exception:
        return 1


def trace_settings(
    enabled: bool | None, system: str, controller: str | None, db_url: str | None, **why: str
) -> TraceSettings | None:
    """The ledger settings of a run: explicit ``--ledger``, or on when a ledger exists."""
    if enabled is False or (enabled is None and not ledger_configured()):
        return None
    return TraceSettings(system=system, controller=controller, db_url=db_url, **why)


def ray_settings(address: str | None, workers: int) -> RaySettings | None:
    """``--ray``/``--ray-workers`` as settings (``None``: run locally; Ray is not imported)."""
    if address is None:
        return None
    from veil.scale.ray_runner import RaySettings

    return RaySettings(address=address, workers=workers)


def anonymize_batch(
    request: BatchRequest,
    watcher: BatchWatcher,
    *,
    policy: FacePolicy | None = None,
    ray_policy: GatePolicySpec | None = None,
) -> BatchOutcome:
    """Run ``request``; a bad input is recorded as failed and the batch goes on.

    ``policy`` decides which faces stay visible here (default: none); on Ray each worker opens
    ``ray_policy`` (a consent gate) for itself.
    """
    jobs, problems = plan_outputs(request.inputs, request.output)
    watcher.planned(jobs, problems)
    if request.ray is not None and (request.boxes_out is not None or policy is not None):
        raise ConfigError("--ray does not support --boxes-out yet; run without --ray")
    boxes = BoxesWriter(request.boxes_out) if request.boxes_out is not None else None
    ledger = RunTrace.open(request.trace) if request.trace is not None else None

    def done(result: FileResult) -> None:
        watcher.done(result)
        if ledger is not None and request.ray is None:  # the Ray runner logs on the driver
            ledger.record(result)

    completed = False
    try:
        if request.ray is None:
            anonymizer = Anonymizer(request.options, policy=policy, observer=boxes)
            summary = run_batch(
                jobs, anonymizer, on_start=watcher.started, progress=watcher.advanced, on_done=done
            )
        else:
            from veil.scale.manifest import Manifest
            from veil.scale.ray_runner import run_batch_on_ray

            summary = run_batch_on_ray(
                jobs,
                request.options,
                request.ray,
                policy=ray_policy,
                trace=ledger,
                manifest=Manifest(request.options),
                on_start=watcher.started,
                progress=watcher.advanced,
                on_done=done,
            )
        completed = True
    finally:
        if boxes is not None:
            boxes.close(keep=completed)
        if ledger is not None:
            ledger.close()
    summary.files[:0] = problems
    indexes = list(ledger.indexes) if ledger is not None else []
    return BatchOutcome(summary, indexes, logged=ledger is not None)
