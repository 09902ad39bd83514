"""The ledger's key files under ``$VEIL_HOME/ledger``: the log signing key and the pseudonym key.

- ``log.key``: the log's Ed25519 signer key (signed-note ``PRIVATE+KEY+...``), mode 0600
- ``log.vkey``: its verifier key, the one to hand to witnesses and verifiers
- ``pseudonym.key``: 32 random bytes (hex) keying HMAC-SHA256 subject pseudonyms, mode 0600
- ``log.id``: the random id of the one database tree these keys sign (a log key that signed two
  different trees would show witnesses a split view, so a key folder belongs to one ledger)
- ``checkpoint.last``: the last checkpoint these keys signed, mode 0600 (see
  :mod:`veil.ledger.issued`)

:func:`key_text` reads a key that a caller names inline or by the path of its file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from veil.config import veil_home
from veil.core.atomic import write_file_atomic
from veil.errors import ConfigError
from veil.ledger.note import NoteError, Signer, parse_skey, valid_key_name


def default_key_dir() -> Path:
    """Where the ledger's keys live by default: ``$VEIL_HOME/ledger``."""
    return veil_home() / "ledger"


# Letters only: the origin is also the default controller of ledger events, and an event refuses
# text with a long run of digits (it could be a phone or ID number), which 12 hex digits can form.
_ORIGIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz"


def default_origin() -> str:
    """A unique schema-less origin (C2SP recommends URL-like names without spaces or '+').

    The random part is 12 letters (about 54 bits) and never contains digits.
    """
    suffix = "".join(secrets.choice(_ORIGIN_ALPHABET) for _ in range(12))
    return f"veil.local/ledger/{suffix}"


@dataclass(frozen=True)
class LedgerKeys:
    """The log signer and the pseudonym key."""

    signer: Signer
    pseudonym_key: bytes

    @property
    def pseudonym_key_id(self) -> str:
        """A public fingerprint of the pseudonym key, kept in the database to catch mix-ups."""
        return hashlib.sha256(b"veil-ledger-pseudonym-key\n" + self.pseudonym_key).hexdigest()[:16]


def keys_exist(key_dir: Path) -> bool:
    """Whether ``key_dir`` holds a log signing key."""
    return (key_dir / "log.key").exists()


def create_keys(key_dir: Path, origin: str) -> LedgerKeys:
    """Create new keys in ``key_dir``; refuses to overwrite existing ones."""
    if not valid_key_name(origin):
        raise ConfigError(f"bad origin {origin!r}: it must be non-empty, without spaces or '+'")
    if keys_exist(key_dir):
        raise ConfigError(f"ledger keys already exist in {key_dir}; refusing to overwrite them")
    keys = LedgerKeys(Signer.generate(origin), secrets.token_bytes(32))
    try:
        key_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(key_dir, 0o700)
        write_file_atomic(key_dir / "pseudonym.key", keys.pseudonym_key.hex() + "\n", 0o600)
        write_file_atomic(key_dir / "log.vkey", keys.signer.verifier().vkey + "\n", 0o644)
        write_file_atomic(key_dir / "log.key", keys.signer.skey + "\n", 0o600)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"ledger keys folder {key_dir}: cannot write it ({reason})") from None
    return keys


def load_keys(key_dir: Path) -> LedgerKeys:
    """Load the keys from ``key_dir`` (ConfigError with a hint when missing or malformed)."""
    try:
        skey = (key_dir / "log.key").read_text(encoding="utf-8")
        pkey = (key_dir / "pseudonym.key").read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"ledger key file {exc.filename} is missing: run `veil ledger init` first"
        ) from None
    try:
        signer = parse_skey(skey)
    except NoteError as exc:
        raise ConfigError(f"{key_dir / 'log.key'}: {exc}") from None
    try:
        pseudo = bytes.fromhex(pkey)
    except ValueError:
        raise ConfigError(f"{key_dir / 'pseudonym.key'}: not hex") from None
    if len(pseudo) != 32:
        raise ConfigError(f"{key_dir / 'pseudonym.key'}: must hold 32 bytes")
    return LedgerKeys(signer, pseudo)


def key_text(value: str, what: str) -> str:
    """A key given inline (``name+id+base64``) or as the path of a file holding it.

    ``what`` names where the value came from (an option such as ``--log-key``) in the
    :class:`ConfigError` raised when it is neither a key nor a readable file.
    """
    path = Path(value).expanduser()
    if "+" not in value or path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(
                f"{what} {value!r} is neither a key nor a readable key file"
            ) from None
    return value.strip()


def bound_log_id(key_dir: Path) -> str | None:
    """The id of the ledger these keys already sign, if any."""
    try:
        text = (key_dir / "log.id").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def bind_log_id(key_dir: Path, log_id: str) -> None:
    """Record that the keys in ``key_dir`` sign the ledger ``log_id``."""
    write_file_atomic(key_dir / "log.id", log_id + "\n", 0o644)


def key_texts(values: Iterable[str] | None, what: str) -> list[str]:
    """:func:`key_text` of each of ``values`` (none when ``values`` is ``None``)."""
    return [key_text(value, what) for value in values or ()]
