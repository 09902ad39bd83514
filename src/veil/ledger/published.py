"""The checkpoint a ledger shows to others: the latest one its witnesses cosigned.

A person's trace and a deployment notice prove things against a checkpoint a third party has
seen; a checkpoint no witness has cosigned could be a split view shown to one reader only, so
:func:`latest_cosigned` skips those. :class:`CheckpointView` is its JSON-ready summary.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from veil.ledger.note import NoteError, parse_note
from veil.ledger.stores import StoredCheckpoint

if TYPE_CHECKING:
    from veil.ledger import Ledger


class CheckpointView(BaseModel):
    """A signed checkpoint with the names of the witnesses that cosigned it."""

    model_config = ConfigDict(frozen=True)

    origin: str
    size: int = Field(ge=0, description="number of entries the checkpoint covers")
    root_hash: str = Field(description="the tree root, standard base64")
    note: str = Field(description="the signed note with every stored cosignature (C2SP)")
    witnesses: tuple[str, ...] = Field(description="names of the witnesses that cosigned it")


def cosigners(cp: StoredCheckpoint, origin: str) -> tuple[str, ...]:
    """Names of the keys other than the log's own that signed ``cp`` (sorted, no repeats)."""
    if not cp.cosignatures:
        return ()
    try:
        note = parse_note(cp.note + "".join(cp.cosignatures))
    except NoteError:
        return ()
    return tuple(sorted({s.name for s in note.signatures if s.name != origin}))


def latest_cosigned(ledger: Ledger) -> StoredCheckpoint | None:
    """The newest checkpoint that at least one witness cosigned, or ``None``."""
    latest = ledger.latest_checkpoint()
    if latest is not None and cosigners(latest, ledger.origin):
        return latest
    for cp in reversed(ledger.checkpoints()):
        if cosigners(cp, ledger.origin):
            return cp
    return None


def checkpoint_view(ledger: Ledger, cp: StoredCheckpoint) -> CheckpointView:
    """The JSON-ready view of ``cp``."""
    return CheckpointView(
        origin=ledger.origin,
        size=cp.size,
        root_hash=base64.b64encode(cp.root).decode("ascii"),
        note=ledger.note_with_cosignatures(cp),
        witnesses=cosigners(cp, ledger.origin),
    )
