"""Trace anonymization runs in the ledger: one ``anonymize`` event per finished file.

The pipeline knows nothing of the ledger (see DESIGN.md); :class:`RunTrace` is the event sink the
CLI hands its results to. An event names the file only by the SHA-256 digests of its input and
output bytes, with the counts of faces hidden, kept and of frames blanked: never a path, a name
or any face data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from veil.core.digest import file_digest
from veil.errors import ConfigError

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.pipeline import FileResult

# What redaction processes (faces in pictures), and what it leaves.
CATEGORIES = ["biometric.facial_image", "image.scene"]
DEFAULT_PURPOSE = "anonymize faces before storage or sharing"
DEFAULT_LEGAL_BASIS = "legal_obligation"

__all__ = [
    "CATEGORIES",
    "DEFAULT_LEGAL_BASIS",
    "DEFAULT_PURPOSE",
    "RunTrace",
    "TraceSettings",
    "file_digest",
    "ledger_configured",
]


def ledger_configured(key_dir: Path | None = None) -> bool:
    """Whether ``veil ledger init`` has made the ledger keys (so runs are traced by default)."""
    from veil.ledger.keys import default_key_dir, keys_exist

    return keys_exist(key_dir or default_key_dir())


@dataclass(frozen=True)
class TraceSettings:
    """Who processes the pictures, why, and on which legal basis (PIPL Art. 13)."""

    system: str
    controller: str | None = None
    purpose: str = DEFAULT_PURPOSE
    legal_basis: str = DEFAULT_LEGAL_BASIS
    db_url: str | None = None


class RunTrace:
    """Appends one event per anonymized file to the ledger, durably, as each file finishes."""

    def __init__(self, settings: TraceSettings, ledger: Ledger) -> None:
        self.settings = settings
        self.ledger = ledger
        self.controller = ledger.controller_or_origin(settings.controller)
        self.indexes: list[int] = []

    @classmethod
    def open(cls, settings: TraceSettings) -> RunTrace:
        """Open the ledger that ``veil ledger init`` made (never creates one)."""
        from veil.ledger import Ledger

        try:
            return cls(settings, Ledger.open(settings.db_url, create=False))
        except ConfigError as exc:
            raise ConfigError(f"cannot trace this run in the ledger: {exc}") from None

    def record(self, result: FileResult, event_id: str | None = None) -> int | None:
        """Log ``result`` if its output was written; returns the event's leaf index.

        With ``event_id`` (a distributed run's idempotency key) an event already in the ledger
        under that id is not logged again, so a retried output is logged exactly once.
        """
        from veil.ledger import DuplicateEventError
        from veil.ledger.events import Event

        if result.status.value != "ok" or result.output is None:
            return None
        event = Event.new(
            action="anonymize",
            controller=self.controller,
            system=self.settings.system,
            data_categories=CATEGORIES,
            purpose=self.settings.purpose,
            legal_basis=self.settings.legal_basis,
            counts={
                "frames": result.frames,
                "faces_redacted": result.faces_redacted,
                "faces_kept": result.faces_kept,
                "frames_blanked": result.frames_blanked,
            },
            digests={
                "input": file_digest(Path(result.input)),
                "output": file_digest(Path(result.output)),
            },
            id=event_id,
        )
        try:
            index = self.ledger.append(event)
        except DuplicateEventError:
            return None
        self.indexes.append(index)
        return index

    def close(self) -> None:
        """Close the ledger."""
        self.ledger.close()
