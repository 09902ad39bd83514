"""C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and
timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature), byte for byte.

Keys use the signed-note text encodings, so that other tools (Go's ``sumdb/note``,
transparency-dev, Sigsum, Sunlight) read them:

- verifier key (``vkey``): ``<name>+<key ID, 8 hex>+<base64(type byte || public key)>``
- signer key: ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || Ed25519 seed)>``

Type ``0x01`` is an Ed25519 note signature (logs); type ``0x04`` a timestamped Ed25519
cosignature (witnesses); a witness signs with an ordinary Ed25519 signer key and publishes the
``0x04`` verifier key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from veil.errors import VerificationError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100
EM_DASH = "\u2014"
COSIGNATURE_HEADER = "cosignature/v1\n"


class NoteError(VerificationError):
    """A malformed or unverifiable signed note, key, checkpoint or cosignature."""


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 section 4) with padding, rejecting anything else."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def b64encode(raw: bytes) -> str:
    """Standard padded base64 (RFC 4648 section 4) as text."""
    return base64.b64encode(raw).decode("ascii")


def valid_key_name(name: str) -> bool:
    """Key names are non-empty and hold no Unicode spaces and no '+'."""
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() for c in name)
        and (all(ord(c) >= 0x20 for c in name))
    )


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type byte || public key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A public key that verifies note signatures of one type (0x01 or 0x04)."""

    name: str
    alg: int
    public_key: bytes

    @property
    def key_id(self) -> int:
        """The signed-note key ID: the first 4 bytes of SHA-256 over name, type and key."""
        return key_id(self.name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key in the signed-note ``vkey`` text format."""
        raw = bytes([self.alg]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{b64encode(raw)}"

    def verify(self, text: bytes, signature: bytes) -> int:
        """Check ``signature`` (key ID stripped) over note ``text``.

        Returns the cosignature timestamp for type 0x04, 0 for type 0x01; raises on failure.
        """
        pub = Ed25519PublicKey.from_public_bytes(self.public_key)
        if self.alg == ALG_ED25519:
            message, sig, stamp = text, signature, 0
        else:
            if len(signature) != 8 + 64:
                raise NoteError(f"cosignature from {self.name} has the wrong length")
            stamp = int.from_bytes(signature[:8], "big")
            if stamp >= 1 << 63:
                raise NoteError(f"cosignature from {self.name} has an impossible timestamp")
            message = cosigned_message(text, stamp)
            sig = signature[8:]
        if len(sig) != 64:
            raise NoteError(f"signature from {self.name} has the wrong length")
        try:
            pub.verify(sig, message)
        except InvalidSignature:
            raise NoteError(f"invalid signature for key {self.name}+{self.key_id:08x}") from None
        return stamp


def parse_vkey(vkey: str) -> Verifier:
    """Parse a signed-note verifier key (type 0x01 Ed25519 or 0x04 Ed25519 cosigner)."""
    vkey = vkey.strip()
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("malformed verifier key: want <name>+<key id>+<base64 key>")
    name, hash_hex, key_b64 = parts
    if not valid_key_name(name):
        raise NoteError("malformed verifier key: bad key name")
    if len(hash_hex) != 8 or any(c not in "0123456789abcdef" for c in hash_hex):
        raise NoteError("malformed verifier key: key ID must be 8 lower-case hex digits")
    raw = b64decode_strict(key_b64, "verifier key")
    if not raw or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1) or len(raw) != 33:
        raise NoteError("unsupported verifier key: only Ed25519 (0x01, 0x04) keys are accepted")
    verifier = Verifier(name, raw[0], raw[1:])
    if verifier.key_id != int(hash_hex, 16):
        raise NoteError("malformed verifier key: key ID does not match the key")
    try:
        Ed25519PublicKey.from_public_bytes(verifier.public_key)
    except ValueError:
        raise NoteError("malformed verifier key: not an Ed25519 public key") from None
    return verifier


def cosigner_verifier(vkey: str | Verifier) -> Verifier:
    """The type 0x04 cosignature verifier for a witness's vkey (given as 0x01 or 0x04)."""
    v = parse_vkey(vkey) if isinstance(vkey, str) else vkey
    return Verifier(v.name, ALG_COSIGNATURE_V1, v.public_key)


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer; signs plain notes (0x01) or cosignatures (0x04)."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new random Ed25519 signer; :class:`NoteError` for a name notes cannot carry."""
        if not valid_key_name(name):
            raise NoteError(f"bad key name {name!r}: no spaces or '+' allowed")
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return _raw_public(self.private_key.public_key())

    def verifier(self, alg: int = ALG_ED25519) -> Verifier:
        """The verifier of this signer's signatures of type ``alg``."""
        return Verifier(self.name, alg, self.public_key)

    @property
    def skey(self) -> str:
        """The signer key in the signed-note ``PRIVATE+KEY+...`` text format."""
        seed = self.private_key.private_bytes_raw()
        kid = key_id(self.name, ALG_ED25519, self.public_key)
        return f"PRIVATE+KEY+{self.name}+{kid:08x}+{b64encode(bytes([ALG_ED25519]) + seed)}"

    def sign_line(self, text: str) -> str:
        """A note signature line (type 0x01) over ``text``."""
        sig = self.private_key.sign(text.encode("utf-8"))
        kid = key_id(self.name, ALG_ED25519, self.public_key).to_bytes(4, "big")
        return f"{EM_DASH} {self.name} {b64encode(kid + sig)}\n"

    def cosign_line(self, text: str, timestamp: int | None = None) -> str:
        """A tlog-cosignature/v1 signature line (type 0x04) over checkpoint ``text``."""
        stamp = int(time.time()) if timestamp is None else timestamp
        if not 0 <= stamp < 1 << 63:
            raise NoteError("cosignature timestamp out of range")
        sig = self.private_key.sign(cosigned_message(text.encode("utf-8"), stamp))
        kid = key_id(self.name, ALG_COSIGNATURE_V1, self.public_key).to_bytes(4, "big")
        return f"{EM_DASH} {self.name} {b64encode(kid + stamp.to_bytes(8, 'big') + sig)}\n"


def parse_skey(skey: str) -> Signer:
    """Parse a signed-note Ed25519 signer key ``PRIVATE+KEY+<name>+<id>+<base64>``."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise NoteError("malformed signer key: want PRIVATE+KEY+<name>+<key id>+<base64 key>")
    name, hash_hex, key_b64 = parts[2:]
    if not valid_key_name(name) or len(hash_hex) != 8:
        raise NoteError("malformed signer key: bad name or key ID")
    raw = b64decode_strict(key_b64, "signer key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("unsupported signer key: only Ed25519 keys are accepted")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if f"{key_id(name, ALG_ED25519, signer.public_key):08x}" != hash_hex:
        raise NoteError("malformed signer key: key ID does not match the key")
    return signer


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """The message a tlog-cosignature/v1 signs: header, time line, then the checkpoint body."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n".encode() + text


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
