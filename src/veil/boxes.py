"""The ``--boxes-out`` file: one JSON line per frame with faces, written atomically.

Lines go to a temporary file beside the target (:func:`veil.core.atomic.atomic_output`), which
is fsynced and renamed into place when the batch completes, or removed when it does not, so a
half-written boxes file never looks complete.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import IO, Any

from veil.core.atomic import atomic_output


class _Discarded(Exception):
    """Thrown into the atomic output to remove the temporary file instead of publishing it."""


class BoxesWriter:
    """Writes ``--boxes-out`` JSON lines to a temporary file, renamed into place at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with contextlib.ExitStack() as stack:  # a failure here removes the temporary file
            temporary = stack.enter_context(atomic_output(path, overwrite=True))
            opened = open(temporary, "w", encoding="utf-8")  # noqa: SIM115 - closed by the stack
            self._handle: IO[str] = stack.enter_context(opened)
            self._stack = stack.pop_all()

    def __call__(self, report: Any) -> None:
        """Record one frame (frames without faces are left out)."""
        if not len(report.faces) and not report.blanked:
            return
        faces = report.faces.to_records()
        for face, redact in zip(faces, report.decisions.redact.tolist(), strict=True):
            face["redacted"] = bool(redact)
        record = {
            "file": str(report.source),
            "frame": report.index,
            "pts": report.pts,
            "faces": faces,
        }
        if report.blanked:
            record["blanked"] = True
        self._handle.write(json.dumps(record) + "\n")

    def close(self, keep: bool = True) -> None:
        """Finish the file (or discard it, leaving an older ``path`` as it was)."""
        if keep:
            self._stack.close()
        else:
            self._stack.__exit__(_Discarded, _Discarded(), None)
