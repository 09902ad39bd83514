"""Offline check of a ledger export: the exported leaves against a signed checkpoint.

A regulator holding ``veil ledger export`` output, a checkpoint and the log's verifier key
recomputes the RFC 9162 root, checks the log's signature and the witness policy, and checks that
earlier checkpoints are prefixes of this log (a rewritten or forked log fails). No database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.errors import BadInputError, VerificationError
from veil.ledger import merkle
from veil.ledger.note import NoteError, parse_vkey, verify_checkpoint
from veil.ledger.proofs import check_witness_policy


@dataclass(frozen=True)
class ExportCheck:
    """A passed export check: the checkpoint's size and origin and who cosigned it."""

    size: int
    origin: str
    cosigned_by: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Always true, as for a passed store check: a failed export check raises instead."""
        return True

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil ledger verify --leaves --json`` prints."""
        return {
            "ok": self.ok,
            "size": self.size,
            "origin": self.origin,
            "cosigned_by": list(self.cosigned_by),
        }

    def summary(self) -> str:
        """The one-line verdict ``veil ledger verify --leaves`` prints."""
        return f"ok: {self.size} exported leaves match the checkpoint of {self.origin}"


def verify_export(
    leaves: Iterable[bytes],
    checkpoint_note: str,
    log_key: str,
    witness_keys: Sequence[str] = (),
    min_witnesses: int | None = None,
    previous: Iterable[tuple[str, str]] = (),
    leaves_name: str = "the export",
) -> ExportCheck:
    """Check exported leaf lines (each ending in a newline) against a signed checkpoint.

    ``log_key`` and ``witness_keys`` are vkey texts; ``min_witnesses`` defaults to all the
    witness keys. ``previous`` holds (name, note text) of earlier checkpoints that must be
    prefixes of this log. Raises :class:`VerificationError` (exit 3) on any mismatch and
    :class:`BadInputError` on an unterminated last line; returns the checked facts.
    """
    lkey = parse_vkey(log_key)
    wkeys = [parse_vkey(k) for k in witness_keys]
    try:
        signed = verify_checkpoint(checkpoint_note, lkey, wkeys)
    except NoteError as exc:
        raise VerificationError(f"checkpoint: {exc}") from None
    check_witness_policy(
        signed.cosigned_by, wkeys, len(wkeys) if min_witnesses is None else min_witnesses
    )
    hashes = []
    for line in leaves:
        if not line.endswith(b"\n"):
            raise BadInputError(f"{leaves_name}: the last line is not terminated")
        hashes.append(merkle.leaf_hash(line[:-1]))
    cp = signed.checkpoint
    if len(hashes) != cp.size:
        raise VerificationError(
            f"the export holds {len(hashes)} leaves but the checkpoint is for {cp.size}"
        )
    if merkle.root_from_leaf_hashes(hashes) != cp.root:
        raise VerificationError(
            f"the exported leaves do not hash to the checkpoint's root (size {cp.size})"
        )
    for name, note in previous:
        try:
            old = verify_checkpoint(note, lkey).checkpoint
        except NoteError as exc:
            raise VerificationError(f"{name}: checkpoint: {exc}") from None
        if old.size > cp.size or merkle.root_from_leaf_hashes(hashes[: old.size]) != old.root:
            raise VerificationError(
                f"{name}: the earlier checkpoint (size {old.size}) is not a prefix of this log: "
                "the log was rewritten or forked"
            )
    return ExportCheck(cp.size, cp.origin, tuple(sorted(signed.cosigned_by)))


def read_note(path: Path) -> str:
    """A checkpoint note's text; an unreadable file is a :class:`BadInputError`."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {exc}") from None


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines, opened lazily so the checkpoint is checked before the file is read."""
    try:
        with path.open("rb") as fh:
            yield from fh
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc}") from None


def verify_export_files(
    leaves: Path,
    checkpoint: Path,
    log_key: str,
    witness_keys: Sequence[str] = (),
    min_witnesses: int | None = None,
    previous: Sequence[Path] = (),
) -> ExportCheck:
    """:func:`verify_export` over files: an export, its checkpoint and earlier checkpoints."""
    return verify_export(
        _lines(leaves),
        read_note(checkpoint),
        log_key,
        witness_keys,
        min_witnesses,
        ((str(p), read_note(p)) for p in previous),
        leaves_name=str(leaves),
    )
