"""A run manifest: which inputs a distributed run started and finished, keyed by content and
options, so a rerun after a crash redoes only what is missing and logs nothing twice.

One JSON line per step, appended and fsynced by the driver only, in ``$VEIL_HOME/runs/`` (0600):
``started`` carries the ledger event id the output will be logged under (reused by every retry
and rerun, so the ledger refuses a second copy), ``finished`` the output's digest. An input whose
output still has the finished digest is skipped on the next run with the same options.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.config import veil_home
from veil.core.digest import file_digest
from veil.ledger.events import uuid7


def options_digest(options: Any) -> str:
    """A stable digest of a run's options (a dataclass), so other settings start a new manifest."""
    is_instance = dataclasses.is_dataclass(options) and not isinstance(options, type)
    plain = dataclasses.asdict(options) if is_instance else options
    text = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class _Entry:
    event_id: str
    output: str | None = None


class Manifest:
    """Started and finished (input digest, target) pairs of runs with the same options."""

    def __init__(self, options: Any, folder: Path | None = None) -> None:
        folder = folder or veil_home() / "runs"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = folder / f"{options_digest(options)}.jsonl"
        self._entries: dict[tuple[str, str], _Entry] = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                self._load(line)

    def _load(self, line: str) -> None:
        try:
            row = json.loads(line)
            key = (str(row["input"]), str(row["target"]))
            if row["step"] == "started":
                self._entries.setdefault(key, _Entry(str(row["event_id"])))
            elif row["step"] == "finished" and key in self._entries:
                self._entries[key].output = str(row["output"])
        except (ValueError, KeyError, TypeError):
            return  # a torn last line from a crash: that input is simply redone

    def finished(self, input_digest: str, target: Path) -> bool:
        """True when ``target`` still holds the output an earlier run finished for this input."""
        entry = self._entries.get((input_digest, str(target.resolve())))
        return bool(
            entry and entry.output and target.is_file() and file_digest(target) == entry.output
        )

    def started(self, input_digest: str, target: Path) -> bool:
        """True when an earlier run began this input (its output may be there, unlogged)."""
        return (input_digest, str(target.resolve())) in self._entries

    def start(self, input_digest: str, target: Path) -> str:
        """Note that work on this input begins; returns the event id to log its output under."""
        key = (input_digest, str(target.resolve()))
        if key not in self._entries:
            self._entries[key] = _Entry(uuid7())
            self._append(
                {
                    "step": "started",
                    "input": key[0],
                    "target": key[1],
                    "event_id": self._entries[key].event_id,
                }
            )
        return self._entries[key].event_id

    def finish(self, input_digest: str, target: Path) -> None:
        """Note that ``target`` now holds this input's output (logged in the ledger)."""
        key = (input_digest, str(target.resolve()))
        entry = self._entries[key]
        entry.output = file_digest(target)
        self._append(
            {"step": "finished", "input": key[0], "target": key[1], "output": entry.output}
        )

    def _append(self, row: dict[str, str]) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(row) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
