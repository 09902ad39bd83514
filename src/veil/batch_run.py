"""One anonymization batch as ``veil blur`` and ``veil gate`` run it (and the service will).

:class:`BatchOptions` is what ``veil blur`` parses (:func:`anonymize_files` runs it);
:func:`anonymize_batch` opens the run's face policy and event sink as ``veil stream`` does
(:func:`veil.run_context.open_run`), plans the outputs, runs every job here or on a Ray cluster
(each worker opens the policy spec itself), writes the review boxes and logs each written output
in the sink as it finishes; the caller only watches (:class:`BatchWatcher`) and presents the typed
:class:`BatchOutcome`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from veil.boxes import BoxesWriter
from veil.errors import ConfigError
from veil.media_options import MediaOptions
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
from veil.run_context import RunContext, open_run
from veil.trace import RunTrace, TraceSettings, trace_settings
from veil.vision.policy import FacePolicySpec

if TYPE_CHECKING:
    from veil.scale.ray_runner import RaySettings

__all__ = [
    "BatchOptions",
    "BatchOutcome",
    "BatchRequest",
    "BatchWatcher",
    "anonymize_batch",
    "anonymize_files",
    "job_frames",
    "ray_settings",
    "trace_settings",
]
SUMMARY_ROWS = 20  # larger batches list only their problems
SUMMARY_COLUMNS = ("input", "output", "status", "frames", "faces hidden", "blanked")


@dataclass(frozen=True)
class BatchRequest:
    """What to anonymize, how, and where the run is logged and executed."""

    inputs: tuple[Path, ...]
    output: Path | None
    options: AnonymizeOptions
    boxes_out: Path | None = None
    trace: TraceSettings | None = None
    ray: RaySettings | None = None


@dataclass(frozen=True)
class BatchOptions:
    """What to anonymize and how, where it is logged and where it runs (``veil blur``'s flags).

    ``ledger`` None: on once ``veil ledger init`` has been run; ``ray`` None: on this machine.
    """

    inputs: tuple[Path, ...]
    output: Path | None = None
    media: MediaOptions = field(default_factory=MediaOptions)
    boxes_out: Path | None = None
    ledger: bool | None = None
    controller: str | None = None
    db: str | None = None
    ray: str | None = None
    ray_workers: int = 0
    ray_retries: int = 3

    def request(self, system: str, **why: str) -> BatchRequest:
        """The library request these options ask for; ``system`` names the run in the ledger."""
        return BatchRequest(
            inputs=self.inputs,
            output=self.output,
            options=self.media.options(),
            boxes_out=self.boxes_out,
            trace=trace_settings(self.ledger, system, self.controller, self.db, **why),
            ray=ray_settings(self.ray, self.ray_workers, self.ray_retries),
        )


@dataclass
class BatchOutcome:
    """The batch's summary (planning problems first) and the ledger leaves it logged."""

    summary: BatchSummary
    ledger_indexes: list[int] = field(default_factory=list)
    logged: bool = False  # a ledger was open for the run

    @property
    def exit_code(self) -> int:
        """The command's exit status: 1 when any input failed, else 0."""
        return 1 if self.summary.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: totals, every input and, when logged, the ledger leaves."""
        document = self.summary.to_dict()
        if self.logged:
            document["ledger_indexes"] = self.ledger_indexes
        return document

    def rows(self, limit: int = SUMMARY_ROWS) -> list[tuple[str, ...]]:
        """The summary table's rows (:data:`SUMMARY_COLUMNS`): every input, or past ``limit``
        inputs only those with a problem (``--json`` lists everything)."""
        files = self.summary.files
        shown = files if len(files) <= limit else [f for f in files if f.error]
        return [
            (
                f.input,
                f.output or "-",
                f.status.value if f.error is None else f"{f.status.value}: {f.error}",
                str(f.frames),
                str(f.faces_redacted),
                str(f.frames_blanked),
            )
            for f in shown
        ]

    def totals_line(self) -> str:
        """The one-line summary of the whole batch."""
        totals = self.summary.totals()
        return (
            f"{totals['ok']} of {totals['files']} inputs anonymized, "
            f"{totals['faces_redacted']} faces hidden, {totals['frames_blanked']} frames blanked "
            f"(detection failed), {totals['failed']} failed."
        )


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


def ray_settings(address: str | None, workers: int, retries: int = 3) -> RaySettings | None:
    """``--ray``/``--ray-workers``/``--ray-retries`` as settings (``None``: run locally; Ray is
    not imported)."""
    if address is None:
        return None
    from veil.scale.ray_runner import RaySettings

    return RaySettings(address=address, workers=workers, retries=retries)


def anonymize_batch(
    request: BatchRequest, watcher: BatchWatcher, *, policy: FacePolicySpec | None = None
) -> BatchOutcome:
    """Run ``request``; a bad input is recorded as failed and the batch goes on.

    ``policy`` decides which faces stay visible (default: none). It is opened where the frame
    step runs: here once, or on Ray in each worker (it must then pickle); the event sink of
    ``request.trace`` is opened here either way (:func:`veil.run_context.open_run`).
    """
    here = request.ray is None
    if not here:
        from veil.scale.policies import worker_policy

        if request.boxes_out is not None:
            raise ConfigError("--ray does not support --boxes-out yet; run without --ray")
        policy = worker_policy(policy)  # checked before any work
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # The policy opens before any work (an unknown purpose is refused at once).
        run = open_run(stack, policy=policy if here else None, trace=request.trace)
        jobs, problems = plan_outputs(request.inputs, request.output)
        watcher.planned(jobs, problems)
        if here:
            summary = _run_here(request, jobs, watcher, run)
        else:
            summary = _run_on_ray(request, jobs, watcher, run.trace, policy)
    summary.files[:0] = problems
    summary.wall_seconds = round(time.perf_counter() - started, 3)
    indexes = list(run.trace.indexes) if run.trace is not None else []
    return BatchOutcome(summary, indexes, logged=run.trace is not None)


def anonymize_files(options: BatchOptions, watcher: BatchWatcher) -> BatchOutcome:
    """``veil blur``: run ``options`` (logged as the ``veil-blur`` system) and report."""
    return anonymize_batch(options.request("veil-blur"), watcher)


def _run_here(
    request: BatchRequest, jobs: list[Job], watcher: BatchWatcher, run: RunContext
) -> BatchSummary:
    """The jobs on this machine, each finished output logged in ``run.trace`` as it is done."""
    boxes = BoxesWriter(request.boxes_out) if request.boxes_out is not None else None
    trace = run.trace

    def done(result: FileResult) -> None:
        watcher.done(result)
        if trace is not None:
            trace.record(result)

    completed = False
    try:
        anonymizer = Anonymizer(request.options, policy=run.policy, observer=boxes)
        summary = run_batch(
            jobs, anonymizer, on_start=watcher.started, progress=watcher.advanced, on_done=done
        )
        completed = True
    finally:
        if boxes is not None:
            boxes.close(keep=completed)
    return summary


def _run_on_ray(
    request: BatchRequest,
    jobs: list[Job],
    watcher: BatchWatcher,
    trace: RunTrace | None,
    policy: FacePolicySpec | None,
) -> BatchSummary:
    """The jobs on a Ray cluster; each worker opens ``policy``, the driver logs in ``trace``."""
    from veil.scale.manifest import Manifest
    from veil.scale.ray_runner import run_batch_on_ray

    assert request.ray is not None
    return run_batch_on_ray(
        jobs,
        request.options,
        request.ray,
        policy=policy,
        trace=trace,
        manifest=Manifest(request.options),
        on_start=watcher.started,
        progress=watcher.advanced,
        on_done=watcher.done,
    )
