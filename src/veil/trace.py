"""The event sink of an anonymization run: files and live streams log through it the same way.

The pipeline knows nothing of the ledger (see DESIGN.md). A run opens one :class:`RunTrace`
(the :class:`RunEventSink` over the ledger) from its :class:`TraceSettings`, with
:func:`veil.run_context.open_run`, and hands it what it finished: ``veil blur`` and ``veil gate``
one ``anonymize`` event per written file (:meth:`RunTrace.record`), ``veil stream`` one per
closed segment (:class:`veil.stream.events.SegmentEvents`). An event names a file only by the
SHA-256 digests of its bytes, with the counts of faces hidden, kept and of frames blanked: never a
path, a name or any face data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from veil.core.digest import file_digest
from veil.errors import ConfigError

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.ledger.events import Event
    from veil.pipeline import FileResult

# What redaction processes (faces in pictures), and what it leaves.
CATEGORIES = ["biometric.facial_image", "image.scene"]
DEFAULT_PURPOSE = "anonymize faces before storage or sharing"
DEFAULT_LEGAL_BASIS = "legal_obligation"

__all__ = [
    "CATEGORIES",
    "DEFAULT_LEGAL_BASIS",
    "DEFAULT_PURPOSE",
    "RunEventSink",
    "RunTrace",
    "TraceSettings",
    "file_digest",
    "ledger_configured",
    "trace_settings",
]


def ledger_configured(key_dir: Path | None = None) -> bool:
    """Whether ``veil ledger init`` has made the ledger keys (so runs are traced by default)."""
    from veil.ledger.keys import default_key_dir, keys_exist

    return keys_exist(key_dir or default_key_dir())


@dataclass(frozen=True)
class TraceSettings:
    """Who processes the pictures, why, and on which legal basis (PIPL Art. 13).

    ``create``: make the ledger when there is none (``veil stream``); batch runs need
    ``veil ledger init`` first.
    """

    system: str
    controller: str | None = None
    purpose: str = DEFAULT_PURPOSE
    legal_basis: str = DEFAULT_LEGAL_BASIS
    db_url: str | None = None
    create: bool = False


def trace_settings(
    enabled: bool | None,
    system: str,
    controller: str | None,
    db_url: str | None,
    *,
    purpose: str = DEFAULT_PURPOSE,
    legal_basis: str = DEFAULT_LEGAL_BASIS,
) -> TraceSettings | None:
    """The ledger settings of a run: explicit ``--ledger``, or on when a ledger exists."""
    if enabled is False or (enabled is None and not ledger_configured()):
        return None
    return TraceSettings(system, controller, purpose, legal_basis, db_url)


class RunEventSink(Protocol):
    """What a run logs through: its settings, the controller named in events, and ``emit``."""

    settings: TraceSettings
    controller: str

    def emit(self, event: Event) -> int | None:
        """Record ``event`` durably; its leaf index, or ``None`` when already recorded."""
        ...


class RunTrace:
    """The ledger as a run's event sink: durable, thread-safe (one per run, shared by cameras)."""

    def __init__(self, settings: TraceSettings, ledger: Ledger) -> None:
        self.settings = settings
        self.ledger = ledger
        self.controller = ledger.controller_or_origin(settings.controller)
        self.indexes: list[int] = []
        self.failed = 0
        self._lock = threading.Lock()

    @property
    def appended(self) -> int:
        """Events recorded so far."""
        return len(self.indexes)

    @classmethod
    def open(cls, settings: TraceSettings) -> RunTrace:
        """Open the ledger (made only when ``settings.create``)."""
        from veil.ledger import Ledger

        try:
            ledger = Ledger.open(settings.db_url, create=settings.create)
        except ConfigError as exc:
            raise ConfigError(f"cannot trace this run in the ledger: {exc}") from None
        try:
            return cls(settings, ledger)
        except ConfigError as exc:  # no controller can be named
            ledger.close()
            raise ConfigError(f"cannot trace this run in the ledger: {exc}") from None
        except BaseException:
            ledger.close()
            raise

    def emit(self, event: Event) -> int | None:
        """Append ``event``; ``None`` when an event with its id is already in the ledger.

        A failed append is counted (:attr:`failed`) and raised.
        """
        from veil.ledger import DuplicateEventError

        with self._lock:
            try:
                index = self.ledger.append(event)
            except DuplicateEventError:
                return None
            except Exception:
                self.failed += 1
                raise
            self.indexes.append(index)
            return index

    def record(self, result: FileResult, event_id: str | None = None) -> int | None:
        """Log ``result`` if its output was written; returns the event's leaf index.

        With ``event_id`` (a distributed run's idempotency key) an event already in the ledger
        under that id is not logged again, so a retried output is logged exactly once.
        """
        from veil.ledger.events import Event
        from veil.results import Status

        if result.status is not Status.OK or result.output is None:
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
        return self.emit(event)

    def close(self) -> None:
        """Close the ledger."""
        self.ledger.close()
