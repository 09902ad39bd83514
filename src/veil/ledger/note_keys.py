"""Signed-note keys (c2sp.org/signed-note): Ed25519 verifier and signer keys in their text
encodings, key IDs, strict base64, and the message a tlog-cosignature/v1 signs.

- verifier key (``vkey``): ``<name>+<key ID, 8 hex>+<base64(type byte || public key)>``
- signer key: ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || Ed25519 seed)>``

Type ``0x01`` is an Ed25519 note signature (logs); type ``0x04`` a timestamped Ed25519
cosignature (witnesses). :mod:`veil.ledger.note` parses and verifies the notes themselves and
hands every name defined here on, so callers may import them from either module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from veil.errors import VerificationError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
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
