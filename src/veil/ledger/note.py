"""C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and
timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature), byte for byte.

The keys (verifier ``vkey`` and signer ``PRIVATE+KEY+...`` text encodings, key IDs, strict
base64) are in :mod:`veil.ledger.note_keys`; this module hands them on, so
``from veil.ledger.note import Signer, parse_vkey`` keeps working. A witness signs with an
ordinary Ed25519 signer key and publishes the ``0x04`` verifier key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veil.ledger.note_keys import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    COSIGNATURE_HEADER,
    EM_DASH,
    NoteError,
    Signer,
    Verifier,
    b64decode_strict,
    b64encode,
    cosigned_message,
    cosigner_verifier,
    key_id,
    parse_skey,
    parse_vkey,
    valid_key_name,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "COSIGNATURE_HEADER",
    "EM_DASH",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "Note",
    "NoteError",
    "Signature",
    "SignedCheckpoint",
    "Signer",
    "VerifiedNote",
    "Verifier",
    "add_signature_lines",
    "b64decode_strict",
    "b64encode",
    "cosigned_message",
    "cosigner_verifier",
    "key_id",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "parse_skey",
    "parse_vkey",
    "sign_checkpoint",
    "valid_key_name",
    "verify_checkpoint",
]

MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: int
    raw: bytes  # key ID stripped

    @property
    def line(self) -> str:
        """The signature line as it stands in a note (newline included)."""
        return f"{EM_DASH} {self.name} {b64encode(self.key_id.to_bytes(4, 'big') + self.raw)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        """The note's bytes as text: its text, a blank line, its signature lines."""
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signature lines; reject anything malformed."""
    msg = _note_message(data)
    split = msg.rfind("\n\n")
    if split < 0 or not msg.endswith("\n"):
        raise NoteError("malformed note: no blank line before the signatures")
    text, sig_block = msg[: split + 1], msg[split + 2 :]
    if not text.strip("\n"):
        raise NoteError("malformed note: empty text")
    lines = sig_block.split("\n")
    if lines[-1] != "":
        raise NoteError("malformed note: unterminated signature line")
    lines = lines[:-1]
    if not lines:
        raise NoteError("malformed note: no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: too many signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def _note_message(data: bytes | str) -> str:
    """The note as text, after the size, UTF-8 and control-character checks."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_NOTE_BYTES:
        raise NoteError("malformed note: too large")
    try:
        msg = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("malformed note: not UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in msg) or "\x7f" in msg:
        raise NoteError("malformed note: control characters")
    return msg


def _parse_signature_line(line: str) -> Signature:
    """One `— name base64(key id + signature)` line; NoteError when it is malformed."""
    if not line.startswith(EM_DASH + " "):
        raise NoteError("malformed note: signature line does not start with an em dash")
    rest = line[2:].split(" ")
    if len(rest) != 2 or not valid_key_name(rest[0]):
        raise NoteError("malformed note: bad signature line")
    blob = b64decode_strict(rest[1], "note signature")
    if len(blob) < 5:
        raise NoteError("malformed note: signature too short")
    return Signature(rest[0], int.from_bytes(blob[:4], "big"), blob[4:])


@dataclass(frozen=True)
class VerifiedNote:
    """A note with the signatures that verified (name -> timestamp, 0 for plain signatures)."""

    note: Note
    verified: dict[str, int]

    @property
    def text(self) -> str:
        """The verified note's text (before the signatures)."""
        return self.note.text


def open_note(data: bytes | str | Note, verifiers: Sequence[Verifier]) -> VerifiedNote:
    """Verify a note against known keys per c2sp.org/signed-note.

    Signatures from unknown keys are ignored; a signature from a known key that fails rejects
    the whole note; a note with no verified signature is rejected.
    """
    note = data if isinstance(data, Note) else parse_note(data)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int] = {}
    text = note.text.encode("utf-8")
    for sig in note.signatures:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            continue
        stamp = v.verify(text, sig.raw)
        verified.setdefault(v.name, stamp)
    if not verified:
        raise NoteError("note has no verifiable signatures from the trusted keys")
    return VerifiedNote(note, verified)


@dataclass(frozen=True)
class Checkpoint:
    """The body of a c2sp.org/tlog-checkpoint: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The checkpoint body: origin, size, base64 root and extensions, one a line."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (the part before the signatures)."""
    if not text.endswith("\n"):
        raise NoteError("malformed: text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("malformed: fewer than three lines")
    origin, size_s, root_s, *ext = lines
    if not origin:
        raise NoteError("malformed: empty origin")
    if not size_s.isascii() or not size_s.isdigit() or (size_s != "0" and size_s[0] == "0"):
        raise NoteError("malformed: tree size is not a decimal without leading zeros")
    if len(size_s) > 20 or int(size_s) >= 1 << 63:
        raise NoteError("malformed: tree size too large")
    root = b64decode_strict(root_s, "checkpoint root hash")
    if len(root) != 32:
        raise NoteError("malformed: root hash is not 32 bytes")
    if any(not line for line in ext):
        raise NoteError("malformed: empty extension line")
    return Checkpoint(origin, int(size_s), root, tuple(ext))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose log signature verified, with the witness cosignatures that verified."""

    checkpoint: Checkpoint
    note: Note
    cosigned_by: dict[str, int]  # witness name -> cosignature timestamp


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """A signed note holding ``checkpoint``, signed by the log key."""
    text = checkpoint.text()
    return text + "\n" + signer.sign_line(text)


def verify_checkpoint(
    data: bytes | str | Note,
    log_key: Verifier,
    witness_keys: Iterable[Verifier] = (),
    origin: str | None = None,
) -> SignedCheckpoint:
    """Verify a checkpoint note: the log's signature, the origin, and any known cosignatures.

    ``origin`` defaults to the log key's name (C2SP recommends they match).
    """
    witnesses = [cosigner_verifier(w) if w.alg != ALG_COSIGNATURE_V1 else w for w in witness_keys]
    if log_key.alg != ALG_ED25519:
        raise NoteError("the log key must be an Ed25519 (type 0x01) verifier key")
    names = [w.name for w in witnesses]
    if log_key.name in names:
        raise NoteError("a witness key has the same name as the log key")
    opened = open_note(data, [log_key, *witnesses])
    if log_key.name not in opened.verified:
        raise NoteError(f"not signed by the log key {log_key.name}")  # callers name it
    cp = parse_checkpoint(opened.text)
    want = origin if origin is not None else log_key.name
    if cp.origin != want:
        raise NoteError(f"origin {cp.origin!r} is not the expected {want!r}")  # callers name it
    cosigned = {k: v for k, v in opened.verified.items() if k != log_key.name}
    return SignedCheckpoint(cp, opened.note, cosigned)


def add_signature_lines(note_text: str, lines: str) -> str:
    """Append signature lines (e.g. a witness response) to a signed note, dropping duplicates."""
    note = parse_note(note_text)
    extra = parse_note(note.text + "\n" + lines)
    seen = set(note.signatures)
    merged = list(note.signatures) + [s for s in extra.signatures if s not in seen]
    return Note(note.text, tuple(merged)).render()
