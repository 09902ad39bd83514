"""Checking witness cosignatures of a stored checkpoint before the ledger keeps them."""

from __future__ import annotations

from veil.errors import VerificationError
from veil.ledger.note import NoteError, Verifier, cosigner_verifier, parse_note, parse_vkey
from veil.ledger.stores import StoredCheckpoint


def checked_cosignatures(
    cp: StoredCheckpoint, lines: str, witness_key: Verifier | str
) -> list[str]:
    """The lines of ``lines`` that are valid cosignatures of ``cp`` by ``witness_key``;
    VerificationError when there is none."""
    key = cosigner_verifier(
        parse_vkey(witness_key) if isinstance(witness_key, str) else witness_key
    )
    text = cp.note[: cp.note.index("\n\n") + 1]
    try:
        extra = parse_note(text + "\n" + lines)
    except NoteError as exc:
        raise VerificationError(f"cosignatures: {exc}") from None
    good = []
    for sig in extra.signatures:
        if (sig.name, sig.key_id) == (key.name, key.key_id):
            key.verify(text.encode("utf-8"), sig.raw)
            good.append(sig.line)
    if not good:
        raise VerificationError(
            f"no cosignature from {key.name}+{key.key_id:08x} for the latest checkpoint "
            f"(size {cp.size})"
        )
    return good


def cosigned_by(cp: StoredCheckpoint) -> set[tuple[str, int]]:
    """(name, key id) of every signer of the stored note and its cosignatures."""
    if not cp.cosignatures:
        return set()
    try:
        note = parse_note(cp.note + "".join(cp.cosignatures))
    except NoteError:
        return set()
    return {(s.name, s.key_id) for s in note.signatures}
