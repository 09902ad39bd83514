"""``veil ledger verify`` as one library call: recheck a whole store, or an export offline
(what to check is a :class:`~veil.ledger_options.VerifyOptions`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from veil.errors import ConfigError
from veil.ledger.audit import AuditReport
from veil.ledger.export_check import ExportCheck, verify_export_files
from veil.ledger.keys import key_text, key_texts
from veil.ledger_options import VerifyOptions


def verify_ledger(
    options: VerifyOptions,
    db: str | None = None,
    keys: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport | ExportCheck:
    """Verify what ``options`` names: the store at ``db`` (with its ``keys``), reporting
    ``progress`` over its leaves, or the export offline."""
    from veil.ledger.facade import Ledger

    witness_keys = key_texts(options.witness_keys, "--witness-key")
    if options.leaves is None:
        with Ledger.open(db, keys, create=False) as led:
            return led.verify(witness_keys, progress)
    if options.checkpoint is None or options.log_key is None:
        raise ConfigError("--leaves needs --checkpoint and --log-key")
    return verify_export_files(
        options.leaves, options.checkpoint, key_text(options.log_key, "--log-key"),
        witness_keys, options.min_witnesses, options.previous,
    )  # fmt: skip
