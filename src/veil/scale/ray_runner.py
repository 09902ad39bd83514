"""Run a batch of anonymization jobs on a Ray cluster, with the same results as the local run.

The driver alone decides what to skip, logs each output in the ledger and keeps the run
manifest, so a thousand workers never fork the log or log twice: an output is logged under the
event id the manifest gave it before work began, and the ledger refuses a second event with that
id. Long videos are cut into chunks (:mod:`veil.scale.chunks`) that workers anonymize in
parallel, each spooling its packets to a private folder beside the output
(:mod:`veil.scale.spool`); the driver stitches from those files. A worker that dies is restarted
and its task retried; outputs are written atomically, so a retried file is written once and
never looks complete early. A worker lost past its retries, lost objects or a lost cluster end
the run with one :class:`~veil.errors.ClusterError` (what finished is kept; a rerun resumes).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veil.core.atomic import atomic_output
from veil.core.digest import file_digest
from veil.errors import VeilError
from veil.media.packets import stitch
from veil.media.video import output_codec
from veil.pipeline import AnonymizeOptions, BatchSummary, FileResult, Job, MediaKind, Status
from veil.scale.chunks import ChunkResult, VideoChunk, plan_chunks
from veil.scale.cluster import (
    RaySettings,
    cluster_failure,
    connect,
    start_workers,
    stop_workers,
    worker_plan,
)
from veil.scale.manifest import Manifest
from veil.scale.spool import chunk_file, make_spool, remove_spool
from veil.trace import RunTrace
from veil.vision.policy import FacePolicySpec

__all__ = ["RaySettings", "run_batch_on_ray"]

Callback = Callable[[FileResult], None]


@dataclass
class _Task:
    slot: int
    job: Job
    digest: str
    event_id: str | None
    chunk: VideoChunk | None = None
    spool: Path | None = None


@dataclass
class _Video:
    """The chunks of one long video as they come back."""

    chunks: int
    started: float = field(default_factory=time.perf_counter)
    parts: dict[int, ChunkResult] = field(default_factory=dict)
    failure: str | None = None
    answered: int = 0


def _skip(job: Job, why: str) -> FileResult:
    return FileResult(str(job.source), str(job.target), job.kind, Status.SKIPPED, why)


def _failed(job: Job, why: str) -> FileResult:
    return FileResult(str(job.source), None, job.kind, Status.FAILED, why)


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
            slots[slot] = _failed(job, f"{exc}")
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


def _split(
    tasks: list[_Task], options: AnonymizeOptions, pieces: int, min_frames: int
) -> list[_Task]:
    """Cut each long video into chunks for ``pieces`` workers (short ones stay whole)."""
    if pieces < 2:
        return tasks
    out: list[_Task] = []
    for task in tasks:
        if task.job.kind is not MediaKind.VIDEO:
            out.append(task)
            continue
        try:
            chunks = plan_chunks(task.job.source, options, pieces, min_frames)
        except VeilError:
            chunks = []  # unreadable: the whole-file task reports it as the local run would
        if len(chunks) < 2:
            out.append(task)
            continue
        spool = make_spool(task.job.target)
        out += [_Task(task.slot, task.job, task.digest, task.event_id, c, spool) for c in chunks]
    return out


def run_batch_on_ray(
    jobs: list[Job],
    options: AnonymizeOptions,
    settings: RaySettings,
    *,
    policy: FacePolicySpec | None = None,
    trace: RunTrace | None = None,
    manifest: Manifest | None = None,
    on_start: Callable[[Job], None] | None = None,
    progress: Callable[[int], None] | None = None,
    on_done: Callback | None = None,
) -> BatchSummary:
    """Process ``jobs`` on the cluster; the summary lists them in order, as the local run does.

    ``policy`` is opened in each worker (default: redact every face).
    """
    ray = connect(settings.address)  # first: it sets Ray's environment before Ray loads
    from ray.exceptions import RayError

    slots, tasks = _plan(jobs, options, manifest)
    for result in slots:
        if result is not None and on_done is not None:
            on_done(result)
    spools: set[Path] = set()
    try:
        if tasks:
            count, cpus = worker_plan(ray, settings)
            tasks = _split(tasks, options, count, settings.min_chunk_frames)
            spools = {task.spool for task in tasks if task.spool is not None}
            workers = start_workers(ray, options, settings, policy, min(count, len(tasks)), cpus)
            dispatch = _Dispatch(ray, options, slots, trace, manifest, progress, on_done)
            try:
                dispatch.run(workers, tasks, on_start)
            finally:
                stop_workers(ray, dispatch.idle, dispatch.busy())
    except RayError as exc:
        raise cluster_failure(exc) from None
    finally:
        for folder in spools:  # the stitch removed those it used; a failed run leaves none
            remove_spool(folder)
    return BatchSummary(files=[r for r in slots if r is not None])


class _Dispatch:
    """Keeps every worker busy, collects results, stitches chunked videos, logs outputs."""

    def __init__(
        self,
        ray: Any,
        options: AnonymizeOptions,
        slots: list[FileResult | None],
        trace: RunTrace | None,
        manifest: Manifest | None,
        progress: Callable[[int], None] | None,
        on_done: Callback | None,
    ) -> None:
        self.ray, self.options, self.slots = ray, options, slots
        self.trace, self.manifest = trace, manifest
        self.progress, self.on_done = progress, on_done
        self.idle: list[Any] = []
        self.pending: dict[Any, tuple[_Task, Any]] = {}
        self.videos: dict[int, _Video] = {}

    def busy(self) -> list[Any]:
        return [actor for _, actor in self.pending.values()]

    def run(
        self, workers: list[Any], tasks: list[_Task], on_start: Callable[[Job], None] | None
    ) -> None:
        """Run every task; a task that raised fails its input, a lost worker ends the run."""
        from ray.exceptions import RayTaskError

        self.idle = list(workers)
        waiting = deque(tasks)
        for task in tasks:
            if task.chunk is not None:
                self.videos.setdefault(task.slot, _Video(0)).chunks += 1
        while waiting or self.pending:
            while self.idle and waiting:
                task, actor = waiting.popleft(), self.idle.pop()
                if on_start is not None and (task.chunk is None or task.chunk.number == 0):
                    on_start(task.job)
                call = (
                    actor.run.remote(task.job)
                    if task.chunk is None or task.spool is None
                    else actor.run_chunk.remote(
                        task.job.source, task.chunk, chunk_file(task.spool, task.chunk.number)
                    )
                )
                self.pending[call] = (task, actor)
            (ready,), _ = self.ray.wait(list(self.pending), num_returns=1)
            task, actor = self.pending.pop(ready)
            self.idle.append(actor)
            try:
                answer = self.ray.get(ready)
            except RayTaskError as exc:  # the task itself raised (a chunk that did not decode)
                reason = (str(exc).strip().splitlines() or ["worker lost"])[-1]
                answer = _failed(task.job, f"{task.job.source}: the Ray worker failed: {reason}")
            if task.chunk is None:
                self._finish(task, answer)
            else:
                self._chunk_back(task, answer)

    def _chunk_back(self, task: _Task, answer: ChunkResult | FileResult) -> None:
        video = self.videos[task.slot]
        video.answered += 1
        if isinstance(answer, ChunkResult):
            video.parts[answer.chunk.number] = answer
            if self.progress is not None:
                self.progress(answer.run.frames)
        elif video.failure is None:
            video.failure = answer.error
        if video.answered == video.chunks:
            try:
                self._finish(task, self._assemble(task.job, video))
            finally:
                if task.spool is not None:
                    remove_spool(task.spool)

    def _assemble(self, job: Job, video: _Video) -> FileResult:
        """Stitch a video's chunks into its output (atomically), or report the failed chunk."""
        if video.failure is not None:
            return _failed(job, video.failure)
        parts = [video.parts[n] for n in sorted(video.parts)]
        result = FileResult(str(job.source), str(job.target), job.kind)
        try:
            with atomic_output(job.target, overwrite=True) as temporary:
                result.audio_packets = stitch(
                    job.source,
                    [p.run for p in parts],
                    temporary,
                    codec=output_codec(self.options.codec, job.target.suffix),
                    crf=self.options.crf,
                    keep_audio=self.options.keep_audio,
                    keep_metadata=self.options.keep_metadata,
                    suffix=job.target.suffix,
                    preset=self.options.preset,
                )
        except VeilError as exc:
            return _failed(job, " ".join(str(exc).split()))
        result.frames = sum(p.run.frames for p in parts)
        result.faces_redacted = sum(p.faces_redacted for p in parts)
        result.faces_kept = sum(p.faces_kept for p in parts)
        result.frames_blanked = sum(p.frames_blanked for p in parts)
        result.seconds = round(time.perf_counter() - video.started, 3)
        return result

    def _finish(self, task: _Task, result: FileResult) -> None:
        if result.status is Status.OK:
            _log(result, task, self.trace, self.manifest)
        self.slots[task.slot] = result
        if self.progress is not None and task.chunk is None:
            self.progress(max(1, result.frames))
        if self.on_done is not None:
            self.on_done(result)


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
