"""What a batch run reports: the kind of each input, its outcome, and the batch totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["BatchSummary", "FileResult", "MediaKind", "Status"]


class MediaKind(StrEnum):
    """Kinds of input the pipeline handles."""

    IMAGE = "image"
    VIDEO = "video"


class Status(StrEnum):
    """Outcome of one input."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class FileResult:
    """The summary of one input."""

    input: str
    output: str | None
    kind: MediaKind | None
    status: Status = Status.OK
    error: str | None = None
    frames: int = 0
    faces_redacted: int = 0
    faces_kept: int = 0
    faces_held: int = 0
    frames_blanked: int = 0
    audio_packets: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}


@dataclass
class BatchSummary:
    """The summary of a batch: per-file results and totals."""

    files: list[FileResult] = field(default_factory=list)
    wall_seconds: float | None = None  # the whole run, start to end (None: not measured)

    @property
    def failed(self) -> list[FileResult]:
        """Inputs that could not be processed."""
        return [f for f in self.files if f.status is Status.FAILED]

    def totals(self) -> dict[str, Any]:
        """Counts over the whole batch."""
        ok = [f for f in self.files if f.status is Status.OK]
        totals: dict[str, Any] = {
            "files": len(self.files),
            "ok": len(ok),
            "failed": len(self.failed),
            "skipped": sum(1 for f in self.files if f.status is Status.SKIPPED),
            "frames": sum(f.frames for f in ok),
            "faces_redacted": sum(f.faces_redacted for f in ok),
            "faces_kept": sum(f.faces_kept for f in ok),
            "frames_blanked": sum(f.frames_blanked for f in ok),
            "seconds": round(sum(f.seconds for f in self.files), 3),
        }
        if self.wall_seconds is not None:  # frames per second over the run, on every worker
            totals["wall_seconds"] = self.wall_seconds
            wall = self.wall_seconds
            totals["fps"] = round(totals["frames"] / wall, 2) if wall > 0 else 0.0
        return totals

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"totals": self.totals(), "files": [f.to_dict() for f in self.files]}
