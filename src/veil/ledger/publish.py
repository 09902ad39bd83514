"""Publishing a ledger (``veil ledger checkpoint`` and ``export``): sign the tree head and have
witnesses cosign it, or keep a remote witness's response, and write the leaves from which anyone
recomputes the root.

Witnesses are local folders (:func:`Ledger.checkpoint` asks each in turn) or, as soon as one is an
``http(s)://`` URL or a quorum is set, any mix of both under an N-of-M policy
(:func:`veil.ledger.witness_http.checkpoint_with_policy`: published only once N cosigned).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from veil.errors import BadInputError, ConfigError, VerificationError
from veil.ledger.witness_admin import open_witnesses

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.ledger.stores import StoredCheckpoint


@dataclass(frozen=True)
class CheckpointOptions:
    """How ``veil ledger checkpoint`` publishes: the witnesses to ask, or a response to keep.

    ``witnesses`` are folders or URLs; ``witness_vkeys`` the trusted keys of HTTP witnesses;
    ``quorum`` the N of an N-of-M policy (default: all). ``cosignatures`` is a witness's response
    (its cosignature lines) to keep for the latest checkpoint, checked under ``witness_key``.
    ``request_from`` asks for a tlog-witness request instead (:meth:`Ledger.witness_request`).
    """

    witnesses: tuple[str, ...] = ()
    witness_vkeys: tuple[str, ...] = ()
    quorum: int | None = None
    cosignatures: str | None = None
    witness_key: str | None = None
    request_from: int | None = None

    @classmethod
    def from_flags(
        cls,
        witnesses: Iterable[str] | None,
        witness_vkeys: Iterable[str] | None,
        quorum: int | None,
        cosignatures_file: Path | None,
        witness_key: str | None,
        request_from: int | None,
    ) -> CheckpointOptions:
        """The options ``veil ledger checkpoint``'s flags give: ``cosignatures_file`` (a witness's
        response) is read, ``witness_key`` is a key or the file holding it."""
        from veil.ledger.export_check import read_note
        from veil.ledger.keys import key_text

        return cls(
            witnesses=tuple(witnesses or ()),
            witness_vkeys=tuple(witness_vkeys or ()),
            quorum=quorum,
            cosignatures=None if cosignatures_file is None else read_note(cosignatures_file),
            witness_key=None if witness_key is None else key_text(witness_key, "--witness-key"),
            request_from=request_from,
        )

    def __post_init__(self) -> None:
        if self.request_from is not None and self.cosignatures is not None:
            raise ConfigError("--request-from and --add-cosignatures cannot be combined")
        if self.cosignatures is not None and self.witness_key is None:
            raise ConfigError("--add-cosignatures needs --witness-key")

    @property
    def uses_policy(self) -> bool:
        """Whether the witnesses are asked under an N-of-M policy (a quorum or an HTTP one)."""
        return self.quorum is not None or any("://" in w for w in self.witnesses)


@dataclass(frozen=True)
class PublishedCheckpoint:
    """A checkpoint that was signed (or given cosignatures) and kept, with its signed note.

    ``warnings`` name each witness of a policy that did not cosign, and why.
    """

    id: int
    size: int
    cosignatures: int
    note: str
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``veil ledger checkpoint --json`` prints."""
        return {
            "id": self.id,
            "size": self.size,
            "cosignatures": self.cosignatures,
            "note": self.note,
        }


def _published(
    cp: StoredCheckpoint | None, note: str, warnings: tuple[str, ...] = ()
) -> PublishedCheckpoint:
    if cp is None:
        raise VerificationError("the checkpoint just signed is not in the store")
    return PublishedCheckpoint(cp.id, cp.size, len(cp.cosignatures), note, warnings)


def publish_checkpoint(ledger: Ledger, options: CheckpointOptions) -> PublishedCheckpoint:
    """Sign and keep a checkpoint cosigned as ``options`` say, or keep the given cosignatures."""
    if options.request_from is not None:
        raise ConfigError("a --request-from checkpoint is not published: use witness_request")
    if options.cosignatures is not None:
        assert options.witness_key is not None  # __post_init__
        cp = ledger.add_cosignatures(options.cosignatures, options.witness_key)
        return _published(cp, ledger.note_with_cosignatures(cp))
    if options.uses_policy:
        from veil.ledger.witness_http import checkpoint_with_policy, open_cosigning_witnesses

        ws = open_cosigning_witnesses(options.witnesses)
        quorum = len(ws) if options.quorum is None else options.quorum
        done = checkpoint_with_policy(ledger, ws, options.witness_vkeys, quorum)
        warnings = tuple(
            f"witness {o.witness}: {o.detail}" for o in done.outcomes if o.cosigner is None
        )
        return _published(ledger.store.get_checkpoint(done.checkpoint_id), done.note, warnings)
    note = ledger.checkpoint(open_witnesses(options.witnesses))
    return _published(ledger.latest_checkpoint(), note)


def export_leaves(
    ledger: Ledger, out: IO[bytes] | Path, *, size: int | None = None, overwrite: bool = False
) -> int:
    """Write the first ``size`` leaves (default all) as the exact bytes that were hashed, one per
    line, to a binary stream or atomically to a file; return how many were written."""
    head = ledger.head().size
    if size is not None and size > head:
        raise BadInputError(f"--size {size} is beyond the log's size {head}")
    if not isinstance(out, Path):
        return ledger.export(out, size=size)
    from veil.core.atomic import atomic_output

    with atomic_output(out, overwrite=overwrite) as tmp, tmp.open("wb") as fh:
        return ledger.export(fh, size=size)
