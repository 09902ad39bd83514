"""Face templates encrypted per subject, and crypto-shredding.

Every subject gets a random 256-bit key; each template (the embedding's float32 bytes) is sealed
with AES-256-GCM under it, the template id, subject and model bound as associated data. The
subject key is stored only wrapped (AES-256-GCM) by the master key, which lives outside the
database: in ``VEIL_MASTER_KEY`` (64 hex digits) or in a key file (``VEIL_MASTER_KEY_FILE``,
default ``$VEIL_HOME/master.key``). ``rotate_master`` rewraps every subject key under a new master
key in one transaction.

Shredding a consent record deletes the templates enrolled under it and re-keys the subject's other
templates under a fresh key; when no template is left, the subject key row is deleted. Either way
the old key is gone, so a copy of the old ciphertext (a backup, a page left in free space) cannot be
decrypted any more; on SQLite the freed pages are also zeroed and the WAL truncated.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from veil.config import veil_home
from veil.consent.records import utcnow
from veil.consent.store import TABLE_PREFIX, ConsentStore, Cursor, TemplateRow
from veil.core.atomic import write_file_atomic
from veil.errors import ConfigError, VerificationError

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_AAD = b"veil/consent/subject-key/v1|"
_SEAL_AAD = b"veil/consent/template/v1|"
MASTER_ENV = "VEIL_MASTER_KEY"
MASTER_FILE_ENV = "VEIL_MASTER_KEY_FILE"
_MAX_IN_LIST = 500


class MasterKeyError(ConfigError):
    """The master key is missing, malformed or not the one the vault was sealed with."""


@dataclass(frozen=True)
class MasterKey:
    """The key-encryption key. ``key_id`` (16 hex digits of its SHA-256) is stored, never the key."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise MasterKeyError(f"the master key must be {KEY_BYTES} bytes (64 hex digits)")

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """A 16-hex-digit id of the key (a hash; reveals nothing of the secret)."""
        return hashlib.sha256(b"veil-master-key-id|" + self.secret).hexdigest()[:16]

    @classmethod
    def generate(cls) -> MasterKey:
        """A fresh random master key."""
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str, source: str = "master key") -> MasterKey:
        """The key from 64 hex digits; :class:`MasterKeyError` naming ``source`` otherwise."""
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            raise MasterKeyError(f"{source} is not 64 hex digits") from None
        if len(secret) != KEY_BYTES:
            raise MasterKeyError(f"{source} is not 64 hex digits ({len(secret)} bytes)")
        return cls(secret)

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        """The key from a file of 64 hex digits; :class:`MasterKeyError` when absent or bad."""
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise MasterKeyError(
                f"no master key at {path}: create one with `veil consent init-key` "
                f"or set {MASTER_ENV}"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise MasterKeyError(f"cannot read the master key {path}: {exc}") from None
        return cls.from_hex(text, f"master key file {path}")

    def write(self, path: Path, *, overwrite: bool = False) -> None:
        """Save as hex, readable by the owner only, atomically (temporary file + rename)."""
        if path.exists() and not overwrite:
            raise MasterKeyError(f"{path} exists; refusing to overwrite a master key")
        write_file_atomic(path, self.secret.hex() + "\n", 0o600)


def master_key_path() -> Path:
    """Where the master key file is (``VEIL_MASTER_KEY_FILE`` or ``$VEIL_HOME/master.key``)."""
    override = os.environ.get(MASTER_FILE_ENV)
    return Path(override).expanduser() if override else veil_home() / "master.key"


def load_master_key() -> MasterKey:
    """The master key from ``VEIL_MASTER_KEY``, else from :func:`master_key_path`."""
    text = os.environ.get(MASTER_ENV)
    if text:
        return MasterKey.from_hex(text, MASTER_ENV)
    return MasterKey.from_file(master_key_path())


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes, what: str) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise VerificationError(f"{what} failed authentication (tampered, or wrong key)") from None


def _template_aad(template_id: str, subject: str, model: str) -> bytes:
    return _SEAL_AAD + "|".join((template_id, subject, model)).encode()


@dataclass(frozen=True)
class Template:
    """A decrypted face template (only ever held in memory)."""

    template_id: str
    subject: str
    record_id: str
    model: str
    vector: npt.NDArray[np.float32]


class Vault:
    """Encrypted face templates in a :class:`ConsentStore`, under a :class:`MasterKey`.

    ``master`` may be ``None`` (key not configured): then counting templates and shredding a
    subject's last templates still work (neither needs a key), and everything that seals or opens
    a template raises :class:`MasterKeyError` with ``key_error`` as the reason.
    """

    def __init__(
        self, store: ConsentStore, master: MasterKey | None, *, key_error: str | None = None
    ) -> None:
        self.store = store
        self._master = master
        self._key_error = key_error

    @property
    def master(self) -> MasterKey:
        """The master key, or :class:`MasterKeyError` when it is not configured."""
        if self._master is None:
            raise MasterKeyError(
                self._key_error
                or f"no master key: set {MASTER_ENV} or create one with `veil consent init-key`"
            )
        return self._master

    @master.setter
    def master(self, value: MasterKey) -> None:
        """Use ``value`` as the master key from now on."""
        self._master = value

    @property
    def has_master(self) -> bool:
        """Whether a master key is configured."""
        return self._master is not None

    @classmethod
    def from_environment(cls, store: ConsentStore) -> Vault:
        """A vault with the configured master key, or without one (and the reason)."""
        try:
            return cls(store, load_master_key())
        except MasterKeyError as exc:
            return cls(store, None, key_error=str(exc))

    # -- subject keys -------------------------------------------------------------------------
    def _wrap(self, subject: str, key: bytes) -> bytes:
        return _seal(self.master.secret, key, _WRAP_AAD + subject.encode())

    def _subject_key(self, cur: Cursor, subject: str, *, create: bool) -> bytes | None:
        row = cur.execute(
            f"SELECT master_id, wrapped FROM {TABLE_PREFIX}subject_keys WHERE subject = ?",
            (subject,),
        ).fetchone()
        if row is None:
            if not create:
                return None
            self._refuse_foreign_keys(cur)
            key = os.urandom(KEY_BYTES)
            cur.execute(
                f"INSERT INTO {TABLE_PREFIX}subject_keys (subject, master_id, wrapped, created_at) "
                "VALUES (?, ?, ?, ?)",
                (subject, self.master.key_id, self._wrap(subject, key), utcnow().isoformat()),
            )
            return key
        master_id, wrapped = row
        if master_id != self.master.key_id:
            raise MasterKeyError(
                f"subject keys are wrapped by master key {master_id}, not by the key given "
                f"({self.master.key_id}); use the right key or finish `veil consent rotate-key`"
            )
        return _open(self.master.secret, wrapped, _WRAP_AAD + subject.encode(), "a subject key")

    def _refuse_foreign_keys(self, cur: Cursor) -> None:
        # A vault never holds subject keys under two master keys (outside a rotation, which
        # rewraps all of them in one transaction): a new key under another master is refused.
        row = cur.execute(
            f"SELECT master_id FROM {TABLE_PREFIX}subject_keys WHERE master_id <> ? LIMIT 1",
            (self.master.key_id,),
        ).fetchone()
        if row is not None:
            raise MasterKeyError(
                f"the vault holds keys wrapped by master key {row[0]}, not by the key given "
                f"({self.master.key_id}); nothing was written"
            )

    def check_master(self) -> None:
        """Raise :class:`MasterKeyError` unless every stored subject key is under this master key."""
        rows = self.store.query(
            f"SELECT DISTINCT master_id FROM {TABLE_PREFIX}subject_keys WHERE master_id <> ?",
            (self.master.key_id,),
        )
        if rows:
            raise MasterKeyError(
                f"the vault holds keys wrapped by master key {rows[0][0]}, not by the key given "
                f"({self.master.key_id})"
            )

    # -- templates ----------------------------------------------------------------------------
    def add(
        self,
        cur: Cursor,
        subject: str,
        record_id: str,
        model: str,
        vectors: npt.NDArray[np.float32],
    ) -> list[str]:
        """Seal ``vectors`` (``[k, d]``) for ``subject`` inside the caller's transaction."""
        key = self._subject_key(cur, subject, create=True)
        assert key is not None
        ids: list[str] = []
        created = utcnow().isoformat()
        for vector in np.asarray(vectors, np.float32).reshape(len(vectors), -1):
            template_id = "tp_" + os.urandom(12).hex()
            blob = _seal(key, vector.tobytes(), _template_aad(template_id, subject, model))
            cur.execute(
                f"INSERT INTO {TABLE_PREFIX}templates "
                "(template_id, subject, record_id, model, blob, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (template_id, subject, record_id, model, blob, created),
            )
            ids.append(template_id)
        return ids

    def rows(self, subjects: list[str] | None = None) -> list[TemplateRow]:
        """Encrypted rows (all, or of ``subjects``)."""
        sql = (
            "SELECT template_id, subject, record_id, model, blob, created_at "
            f"FROM {TABLE_PREFIX}templates"
        )
        params: list[str] = []
        if subjects is not None:
            if not subjects:
                return []
            if len(subjects) > _MAX_IN_LIST:  # beyond SQL parameter limits: filter here
                wanted = set(subjects)
                return [r for r in self.rows() if r.subject in wanted]
            sql += f" WHERE subject IN ({', '.join('?' * len(subjects))})"
            params = list(subjects)
        return [TemplateRow(*r) for r in self.store.query(sql + " ORDER BY template_id", params)]

    def templates(
        self, subjects: list[str] | None = None, model: str | None = None
    ) -> list[Template]:
        """Decrypt the templates of ``subjects`` (all when ``None``), of ``model`` if given."""
        out: list[Template] = []
        keys: dict[str, bytes | None] = {}
        rows = self.rows(subjects)
        with self.store.transaction() as cur:
            for row in rows:
                if model is not None and row.model != model:
                    continue
                if row.subject not in keys:
                    keys[row.subject] = self._subject_key(cur, row.subject, create=False)
                key = keys[row.subject]
                if key is None:  # key destroyed: the template is unreadable, skip it
                    continue
                plain = _open(
                    key,
                    row.blob,
                    _template_aad(row.template_id, row.subject, row.model),
                    "a template",
                )
                vector = np.frombuffer(plain, dtype=np.float32).copy()
                out.append(Template(row.template_id, row.subject, row.record_id, row.model, vector))
        return out

    def count(self, subject: str | None = None) -> int:
        """How many templates are stored (for ``subject``)."""
        if subject is None:
            rows = self.store.query(f"SELECT COUNT(*) FROM {TABLE_PREFIX}templates")
        else:
            rows = self.store.query(
                f"SELECT COUNT(*) FROM {TABLE_PREFIX}templates WHERE subject = ?", (subject,)
            )
        return int(rows[0][0])

    def shred(self, cur: Cursor, subject: str, record_ids: list[str]) -> int:
        """Delete the templates of ``record_ids`` and destroy the subject's key, in ``cur``'s
        transaction. Templates the subject keeps (under other records) are re-sealed under a new
        key. Returns the number of templates deleted. Call :meth:`ConsentStore.purge_free_space`
        after the commit to erase the freed bytes physically.
        """
        if not record_ids:
            return 0
        marks = ", ".join("?" * len(record_ids))
        deleted = cur.execute(
            f"DELETE FROM {TABLE_PREFIX}templates WHERE subject = ? AND record_id IN ({marks})",
            (subject, *record_ids),
        ).rowcount
        kept = cur.execute(
            f"SELECT template_id, record_id, model, blob FROM {TABLE_PREFIX}templates "
            "WHERE subject = ?",
            (subject,),
        ).fetchall()
        # Only re-keying the templates the subject keeps needs the master key.
        old_key = self._subject_key(cur, subject, create=False) if kept else None
        cur.execute(f"DELETE FROM {TABLE_PREFIX}subject_keys WHERE subject = ?", (subject,))
        if kept and old_key is not None:
            new_key = self._subject_key(cur, subject, create=True)
            assert new_key is not None
            for template_id, _record_id, model, blob in kept:
                aad = _template_aad(template_id, subject, model)
                plain = _open(old_key, blob, aad, "a template")
                cur.execute(
                    f"UPDATE {TABLE_PREFIX}templates SET blob = ? WHERE template_id = ?",
                    (_seal(new_key, plain, aad), template_id),
                )
        return max(int(deleted), 0)

    def rotate_master(self, new_master: MasterKey) -> int:
        """Rewrap every subject key under ``new_master`` (one transaction); returns how many."""
        with self.store.transaction() as cur:
            rows = cur.execute(
                f"SELECT subject, master_id, wrapped FROM {TABLE_PREFIX}subject_keys"
            ).fetchall()
            for subject, master_id, wrapped in rows:
                if master_id == new_master.key_id:
                    continue
                if master_id != self.master.key_id:
                    raise MasterKeyError(
                        f"a subject key is wrapped by master key {master_id}, neither the current "
                        f"({self.master.key_id}) nor the new one"
                    )
                key = _open(
                    self.master.secret, wrapped, _WRAP_AAD + subject.encode(), "a subject key"
                )
                new_wrapped = _seal(new_master.secret, key, _WRAP_AAD + subject.encode())
                cur.execute(
                    f"UPDATE {TABLE_PREFIX}subject_keys SET master_id = ?, wrapped = ? "
                    "WHERE subject = ?",
                    (new_master.key_id, new_wrapped, subject),
                )
        self.master = new_master
        return len(rows)
