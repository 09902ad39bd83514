"""The options of ``veil ledger verify``, apart from the ledger package so that the CLI can parse
them without loading it (as :mod:`veil.media_options` is for the media commands)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VerifyOptions:
    """What to verify. Without ``leaves``: the whole store, each stored cosignature checked
    against ``witness_keys``. With ``leaves`` (an export), offline and with no database: the
    export against the signed ``checkpoint`` and the log's ``log_key``, each of the
    ``previous`` checkpoints consistent with it, and ``min_witnesses`` of ``witness_keys``
    (default all) cosigning. Keys are given inline or as files holding them."""

    witness_keys: tuple[str, ...] = ()
    leaves: Path | None = None
    checkpoint: Path | None = None
    log_key: str | None = None
    previous: tuple[Path, ...] = ()
    min_witnesses: int | None = None
