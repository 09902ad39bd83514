"""Offline proof bundles as one call each (``veil ledger prove``, ``trace``, ``verify-bundle``):
write a bundle for one event or one person, and verify a bundle file with no database.

The bundle format and its checks are :mod:`veil.ledger.proofs`; the signing and proving is
:class:`veil.ledger.Ledger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from veil.errors import BadInputError, ConfigError
from veil.ledger.note import parse_vkey
from veil.ledger.proofs import BundleResult, bare_tlog_proof, verify_bundle
from veil.ledger.witness_admin import open_witnesses

if TYPE_CHECKING:
    from veil.ledger import Ledger


def prove_event(
    ledger: Ledger, event_id: str, witnesses: Sequence[str | Path] = (), *, bare: bool = False
) -> str:
    """A bundle proving one event, cosigned by the witnesses in these folders; ``bare`` gives
    the c2sp.org/tlog-proof text alone (what ``prove -o x.tlog-proof`` writes)."""
    bundle = ledger.prove(event_id, open_witnesses(witnesses))
    return bare_tlog_proof(bundle) if bare else bundle


def trace_subject(
    ledger: Ledger,
    *,
    subject: str | None = None,
    pseudonym: str | None = None,
    witnesses: Sequence[str | Path] = (),
) -> str:
    """A bundle of every event about one person, named by exactly one of their identifier
    (pseudonymized here, never stored) or their pseudonym (64 hex)."""
    if (subject is None) == (pseudonym is None):
        raise ConfigError("give exactly one of --subject and --pseudonym")
    who = ledger.pseudonym(subject) if subject is not None else str(pseudonym)
    return ledger.trace(who, open_witnesses(witnesses))


def verify_bundle_file(
    path: Path,
    log_key: str,
    witness_keys: Sequence[str] = (),
    min_witnesses: int | None = None,
) -> BundleResult:
    """Verify the bundle in ``path`` against the log's vkey and N (default all) of the witness
    vkeys (texts); :class:`BadInputError` when it cannot be read, exit 3 when it fails."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    wkeys = [parse_vkey(k) for k in witness_keys]
    return verify_bundle(data, parse_vkey(log_key), wkeys, min_witnesses)
