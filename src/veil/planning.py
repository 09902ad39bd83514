"""Batch planning: which inputs are media, and where each one's anonymized copy goes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from veil.errors import ConfigError
from veil.media.images import IMAGE_SUFFIXES
from veil.media.targets import is_file_target
from veil.media.video import VIDEO_SUFFIXES
from veil.results import FileResult, MediaKind, Status

__all__ = ["MEDIA_SUFFIXES", "Job", "default_output", "media_kind", "plan_outputs"]

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


@dataclass(frozen=True)
class Job:
    """One input file and where its anonymized copy goes."""

    source: Path
    target: Path
    kind: MediaKind


def media_kind(path: Path) -> MediaKind | None:
    """The kind of media a path's suffix names, or ``None``."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return MediaKind.IMAGE
    if suffix in VIDEO_SUFFIXES:
        return MediaKind.VIDEO
    return None


def default_output(path: Path) -> Path:
    """Where an input's output goes without ``-o``: beside it, named ``*_anonymized``."""
    if path.is_dir():
        return path.with_name(f"{path.name}_anonymized")
    return path.with_name(f"{path.stem}_anonymized{path.suffix}")


def plan_outputs(inputs: Iterable[Path], output: Path | None) -> tuple[list[Job], list[FileResult]]:
    """Map inputs to output files; folders are searched recursively and mirrored.

    With one input file, ``output`` may name the output file (:mod:`veil.media.targets`); otherwise
    ``output`` is a folder. Several inputs each get a subfolder or file named after them.
    Returns the jobs and the inputs that cannot be processed (missing, unsupported).
    """
    inputs = list(inputs)
    jobs: list[Job] = []
    problems: list[FileResult] = []
    single_file_target = is_file_target(inputs, output)
    for source in inputs:
        if not source.exists():
            problems.append(
                FileResult(
                    str(source), None, None, Status.FAILED, f"{source}: no such file or folder"
                )
            )
            continue
        if source.is_dir():
            base = (
                default_output(source)
                if output is None
                else (output if len(inputs) == 1 else output / source.name)
            )
            for path in sorted(
                p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")
            ):
                kind = media_kind(path)
                if kind is not None:
                    jobs.append(Job(path, base / path.relative_to(source), kind))
            continue
        kind = media_kind(source)
        if kind is None:
            problems.append(
                FileResult(
                    str(source),
                    None,
                    None,
                    Status.FAILED,
                    f"{source}: unsupported file type {source.suffix!r}",
                )
            )
            continue
        if output is None:
            target = default_output(source)
        elif single_file_target:
            target = output
        else:
            target = output / source.name
        jobs.append(Job(source, target, kind))
    seen: dict[Path, Path] = {}
    for job in jobs:
        key = job.target.resolve()
        if key in seen:
            raise ConfigError(f"{job.source} and {seen[key]} would both be written to {job.target}")
        if key == job.source.resolve():
            raise ConfigError(f"{job.source}: output would overwrite the input")
        seen[key] = job.source
    return jobs, problems
