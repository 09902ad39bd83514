"""What ``veil stream`` is asked, as one typed request (:class:`StreamRequest`).

A light module (no cameras, encoders or ledger are loaded): the CLI parses its flags into the
request and :func:`veil.stream.live.run_stream` runs it. The names the stream's ledger events
carry by default live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from veil.errors import ConfigError
from veil.pipeline import AnonymizeOptions
from veil.trace import TraceSettings, ledger_configured, trace_settings
from veil.vision.policy import FacePolicySpec

__all__ = ["DEFAULT_LEGAL_BASIS", "DEFAULT_PURPOSE", "SYSTEM", "StreamRequest"]

SYSTEM = "veil-stream"
DEFAULT_PURPOSE = "camera recording with faces anonymized"
DEFAULT_LEGAL_BASIS = "other_law"


@dataclass(frozen=True)
class StreamRequest:
    """Everything ``veil stream`` was asked (one field per flag).

    ``purpose`` keeps the faces of people who consented to it (the consent gate, opened as
    ``veil gate`` opens it); a Python caller may pass any other ``policy`` spec instead.
    ``ledger`` None (what ``veil stream`` passes without ``--ledger``): on when ``db`` is given
    or once ``veil ledger init`` has been run. Give exactly one ``source`` or ``cameras_file``.
    """

    source: str | None = None
    cameras_file: Path | None = None
    name: str = "camera"
    record: Path | None = None
    serve: str | None = None
    restream: str | None = None
    hls_dir: Path | None = None
    segment_seconds: float = 60.0
    transport: str = "tcp"
    max_latency: float = 0.5
    adapt: bool = True
    realtime: bool = True
    loop: bool = False
    max_reconnects: int | None = None
    timeout: float = 5.0
    purpose: str | None = None
    ledger: bool | None = False
    db: str | None = None
    controller: str | None = None  # None: the ledger's origin
    legal_basis: str = DEFAULT_LEGAL_BASIS
    crf: int = 23
    preset: str = "ultrafast"
    options: AnonymizeOptions = field(default_factory=AnonymizeOptions)
    policy: FacePolicySpec | None = None

    def __post_init__(self) -> None:
        if (self.source is None) == (self.cameras_file is None):
            raise ConfigError("give one SOURCE or --cameras FILE")
        if self.transport not in {"tcp", "udp"}:
            raise ConfigError(f"--transport {self.transport!r}: use tcp or udp")

    def policy_spec(self) -> FacePolicySpec | None:
        """The face policy to open: ``policy``, else the consent gate for ``purpose``."""
        if self.policy is not None or not self.purpose:
            return self.policy
        from veil.consent.gate_spec import GatePolicySpec

        return GatePolicySpec(self.purpose, db_url=self.db)

    def trace(self) -> TraceSettings | None:
        """The event sink's settings (``None``: not traced); a consent purpose is the basis."""
        ledger = self.ledger
        if ledger is None:
            ledger = self.db is not None or ledger_configured()
        settings = trace_settings(
            ledger,
            SYSTEM,
            self.controller,
            self.db,
            purpose=self.purpose or DEFAULT_PURPOSE,
            legal_basis="consent" if self.purpose else self.legal_basis,
        )
        return None if settings is None else replace(settings, create=True)  # a camera makes one
