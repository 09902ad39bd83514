"""The verifiable trace ledger: an RFC 9162 Merkle log of processing events, with C2SP signed
checkpoints, witness cosignatures and offline proofs.

:class:`Ledger` is the one entry point the rest of Veil uses (consent, stream, blur, the CLI):

>>> from veil.ledger import Ledger, Event
>>> with Ledger.open() as ledger:  # doctest: +SKIP
...     who = ledger.pseudonym("customer-42")
...     ledger.append(Event.new(action="collect", controller="Shop", system="gate-1",
...                             data_categories=["image.scene"], purpose="entry",
...                             legal_basis="contract", subject_pseudonym=who))
...     note = ledger.checkpoint()

``Ledger.open()`` uses ``veil.config.default_db_url()`` (a SQLite file under ``$VEIL_HOME``, or
``VEIL_DB``; ``postgresql://`` URLs use PostgreSQL) and the keys under ``$VEIL_HOME/ledger``,
creating both on first use unless ``create=False``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from veil.config import default_db_url
from veil.errors import BadInputError, ConfigError, VerificationError
from veil.ledger.events import Event, EventError, pseudonym, raw_identifier_in
from veil.ledger.issued import issued_problems, record_issued, refuse_headless
from veil.ledger.keys import (
    LedgerKeys,
    bind_log_id,
    bound_log_id,
    create_keys,
    default_key_dir,
    default_origin,
    keys_exist,
    load_keys,
)
from veil.ledger.log import AuditReport, TransparencyLog, TreeHead
from veil.ledger.note import NoteError, Verifier, add_signature_lines, cosigner_verifier
from veil.ledger.proofs import TlogProof, make_bundle
from veil.ledger.stores import (
    DuplicateEventError,
    LeafRow,
    Store,
    StoredCheckpoint,
    StoredLeaf,
    open_store,
    subject_key,
)
from veil.ledger.witness import AddCheckpointRequest, Witness, WitnessError

__all__ = [
    "AuditReport",
    "DuplicateEventError",
    "Event",
    "EventError",
    "Ledger",
    "LedgerStatus",
    "TreeHead",
]

_PSEUDONYM_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class LedgerStatus:
    """What ``veil ledger status`` shows."""

    db: str
    origin: str
    vkey: str
    size: int
    root: bytes
    latest_checkpoint_id: int | None
    latest_checkpoint_size: int | None
    latest_cosigners: int
    storage_bytes: int | None

    def as_dict(self) -> dict[str, Any]:
        import base64

        return {
            "db": self.db,
            "origin": self.origin,
            "vkey": self.vkey,
            "size": self.size,
            "root": base64.b64encode(self.root).decode("ascii"),
            "latest_checkpoint_id": self.latest_checkpoint_id,
            "latest_checkpoint_size": self.latest_checkpoint_size,
            "latest_cosigners": self.latest_cosigners,
            "storage_bytes": self.storage_bytes,
        }


def _check_pseudonym(value: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= _PSEUDONYM_HEX:
        raise EventError("a subject pseudonym is 64 lower-case hex digits (from Ledger.pseudonym)")
    return value


def _row(event: Event) -> LeafRow:
    if not isinstance(event, Event):
        raise EventError(f"only Event objects can be appended, not {type(event).__name__}")
    subject = bytes.fromhex(event.subject) if event.subject else None
    return LeafRow(event.canonical(), event.event_id_bytes, subject)


def _event_id_bytes(event_id: str) -> bytes:
    try:
        return uuid.UUID(event_id.strip()).bytes
    except (ValueError, AttributeError):
        raise BadInputError(f"{event_id!r} is not an event id (a UUID)") from None


class Ledger:
    """The trace ledger of one database, signed with the keys of one key folder."""

    def __init__(self, store: Store, keys: LedgerKeys, key_dir: Path) -> None:
        self.store = store
        self.keys = keys
        self.key_dir = key_dir
        self.log = TransparencyLog(store)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        db_url: str | None = None,
        key_dir: Path | None = None,
        *,
        create: bool = True,
        origin: str | None = None,
    ) -> Ledger:
        """Open the ledger in ``db_url`` signed by the keys in ``key_dir``.

        With ``create`` (the default) missing keys and tables are made (a new ``origin``, or a
        random ``veil.local/ledger/...`` one). Fails with :class:`ConfigError` when the database
        holds a ledger signed by other keys, or when the keys already sign another database.
        """
        url = db_url or default_db_url()
        kd = Path(key_dir).expanduser() if key_dir is not None else default_key_dir()
        store = open_store(url)
        try:
            return cls(store, cls._bind(store, url, kd, create, origin), kd)
        except BaseException:
            store.close()
            raise

    @staticmethod
    def _bind(store: Store, url: str, kd: Path, create: bool, origin: str | None) -> LedgerKeys:
        meta = store.meta()
        refuse_headless(store, meta, url)
        if keys_exist(kd):
            keys = load_keys(kd)
            if origin is not None and origin != keys.signer.name:
                raise ConfigError(
                    f"the keys in {kd} belong to the log {keys.signer.name!r}, not {origin!r}"
                )
        elif meta.get("log_vkey"):
            raise ConfigError(
                f"the database holds the ledger {meta.get('origin')!r} but its keys are not in "
                f"{kd}: pass the key folder (--keys)"
            )
        elif not create:
            raise ConfigError(f"no ledger keys in {kd}: run `veil ledger init` first")
        else:
            keys = create_keys(kd, origin or default_origin())
        vkey = keys.signer.verifier().vkey
        if not meta.get("log_vkey"):
            if not create:
                raise ConfigError(f"the database {url} holds no ledger: run `veil ledger init`")
            bound = bound_log_id(kd)
            if bound is not None and bound != meta.get("log_id"):
                raise ConfigError(
                    f"the keys in {kd} already sign the ledger {bound} in another database; "
                    "signing a second tree with them would show a split view: use a new key "
                    "folder (--keys) for a new ledger"
                )
            log_id = bound or secrets.token_hex(16)
            bind_log_id(kd, log_id)
            store.initialize(
                {
                    "format": "veil-ledger/v1",
                    "origin": keys.signer.name,
                    "log_vkey": vkey,
                    "pseudonym_key_id": keys.pseudonym_key_id,
                    "log_id": log_id,
                }
            )
            meta = store.meta()
        if meta.get("log_vkey") != vkey:
            raise ConfigError(
                f"the database holds the ledger {meta.get('origin')!r} signed by another key "
                f"than the one in {kd}: pass its key folder (--keys)"
            )
        if meta.get("pseudonym_key_id") != keys.pseudonym_key_id:
            raise ConfigError(
                f"the pseudonym key in {kd} is not the one this ledger was created with"
            )
        return keys

    def close(self) -> None:
        """Close the database connection."""
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- identity --------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """The log's origin (the first line of its checkpoints and its key name)."""
        return self.keys.signer.name

    def controller_or_origin(self, controller: str | None) -> str:
        """``controller``, or this log's origin standing in for it when none is named.

        Fails with :class:`ConfigError` when the origin cannot stand in, because an event would
        refuse it (ledgers made before origins were letters only can hold a long run of digits).
        """
        if controller:
            return controller
        if raw_identifier_in(self.origin):
            raise ConfigError(
                f"this ledger's origin {self.origin!r} holds a long number, which an event refuses "
                "as a controller; name the controller with --controller"
            )
        return self.origin

    @property
    def verifier(self) -> Verifier:
        """The log's public key."""
        return self.keys.signer.verifier()

    @property
    def vkey(self) -> str:
        """The log's verifier key in the signed-note ``vkey`` format."""
        return self.verifier.vkey

    def pseudonym(self, subject_id: str) -> str:
        """The subject's keyed pseudonym: HMAC-SHA256 under this ledger's pseudonym key (hex)."""
        return pseudonym(self.keys.pseudonym_key, subject_id)

    # -- writing ---------------------------------------------------------------------------------

    def append(self, event: Event) -> int:
        """Log ``event`` durably; return its leaf index."""
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[Event]) -> list[int]:
        """Log events durably in one transaction, in order; return their leaf indexes."""
        evs = list(events)
        rows = [_row(e) for e in evs]
        if not rows:
            return []
        ids = {r.event_id for r in rows}
        if len(ids) != len(rows):
            raise DuplicateEventError("the same event id appears twice in one batch")
        try:
            start = self.log.append(rows)
        except DuplicateEventError:
            for e in evs:
                found = self.store.find_event(e.event_id_bytes)
                if found is not None:
                    raise DuplicateEventError(
                        f"event {e.id} is already in the log (leaf {found.index})"
                    ) from None
            raise
        return list(range(start, start + len(rows)))

    # -- reading ---------------------------------------------------------------------------------

    def head(self) -> TreeHead:
        """The current tree size and root."""
        return self.log.head()

    @staticmethod
    def _event(leaf: StoredLeaf) -> Event:
        try:
            return Event.from_canonical(leaf.data)
        except EventError as exc:
            raise VerificationError(
                f"leaf {leaf.index} is not a valid event ({exc}): run `veil ledger verify`"
            ) from None

    def events_for_subject(self, pseudonym: str) -> list[Event]:
        """Every event about the subject with this pseudonym, in log order (an index lookup)."""
        return [e for _, e in self.entries_for_subject(pseudonym)]

    def entries_for_subject(self, pseudonym: str) -> list[tuple[int, Event]]:
        """(leaf index, event) of every event about the subject, in log order."""
        leaves = self.store.leaves_for_subject(bytes.fromhex(_check_pseudonym(pseudonym)))
        return [(leaf.index, self._event(leaf)) for leaf in leaves]

    def find_event(self, event_id: str) -> tuple[int, Event]:
        """(leaf index, event) of the event with this id."""
        leaf = self.store.find_event(_event_id_bytes(event_id))
        if leaf is None:
            raise BadInputError(f"no event {event_id} in the log")
        return leaf.index, self._event(leaf)

    def export(self, out: IO[bytes], *, size: int | None = None) -> int:
        """Write every leaf of the tree (``size`` leaves, default all), in order, as the exact
        bytes that were hashed, one per line. Returns the number of leaves written."""
        upto = self.head().size if size is None else size
        n = 0
        for leaf in self.log.iter_leaves():
            if leaf.index >= upto:
                break
            if leaf.index != n:
                raise VerificationError(f"leaf {n} is missing: run `veil ledger verify`")
            out.write(leaf.data + b"\n")
            n += 1
        if n != upto:
            raise VerificationError(f"leaf {n} is missing: run `veil ledger verify`")
        return n

    # -- checkpoints and witnesses ---------------------------------------------------------------

    def checkpoint(self, witnesses: Sequence[Witness] = ()) -> str:
        """Sign the current tree head as a C2SP checkpoint, keep it, and have each witness
        cosign it; return the signed note (with the cosignatures)."""
        cid, _ = self.log.checkpoint(self.keys.signer, self.origin)
        return self._cosign(record_issued(self.key_dir, self._stored_checkpoint(cid)), witnesses)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint this ledger signed, oldest first."""
        return self.log.checkpoints()

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The newest checkpoint this ledger signed, with its cosignatures."""
        return self.store.get_checkpoint(None)

    def _stored_checkpoint(self, cid: int) -> StoredCheckpoint:
        cp = self.store.get_checkpoint(cid)
        if cp is None:
            raise VerificationError(f"checkpoint {cid} is not in the store")
        return cp

    @staticmethod
    def note_with_cosignatures(cp: StoredCheckpoint) -> str:
        """The stored checkpoint note with every stored cosignature appended."""
        return cp.note + "".join(cp.cosignatures)

    def witness_request(self, old_size: int, cp: StoredCheckpoint | None = None) -> str:
        """A c2sp.org/tlog-witness add-checkpoint request body from ``old_size`` to ``cp``
        (default: the latest checkpoint), for a witness that last cosigned ``old_size``."""
        cp = cp or self.latest_checkpoint()
        if cp is None:
            raise ConfigError("the ledger has no checkpoint yet: run `veil ledger checkpoint`")
        if not 0 <= old_size <= cp.size:
            raise BadInputError(f"old size {old_size} is not between 0 and {cp.size}")
        proof = self.log.consistency_proof(old_size, cp.size)
        return AddCheckpointRequest(old_size, tuple(proof), cp.note).render()

    def add_cosignatures(self, lines: str, witness_key: Verifier | str) -> StoredCheckpoint:
        """Keep a witness's cosignature lines for the latest checkpoint, after checking them."""
        from veil.ledger.note import parse_note, parse_vkey

        cp = self.latest_checkpoint()
        if cp is None:
            raise ConfigError("the ledger has no checkpoint yet: run `veil ledger checkpoint`")
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
        self.store.add_cosignatures(cp.id, good)
        return self._stored_checkpoint(cp.id)

    @staticmethod
    def _cosigned_by(cp: StoredCheckpoint) -> set[tuple[str, int]]:
        from veil.ledger.note import parse_note

        if not cp.cosignatures:
            return set()
        try:
            note = parse_note(cp.note + "".join(cp.cosignatures))
        except NoteError:
            return set()
        return {(s.name, s.key_id) for s in note.signatures}

    def _cosign(self, cp: StoredCheckpoint, witnesses: Sequence[Witness]) -> str:
        for w in witnesses:
            key = cosigner_verifier(w.vkey)
            if (key.name, key.key_id) in self._cosigned_by(cp):
                continue  # this witness already cosigned this checkpoint
            old, _ = w.latest(self.origin)
            if old > cp.size:
                raise VerificationError(
                    f"witness {w.name} already cosigned size {old}, larger than this "
                    f"checkpoint's {cp.size}: sign a new checkpoint"
                )
            try:
                lines = w.add_checkpoint(self.witness_request(old, cp))
            except WitnessError as exc:
                if exc.status != 409 or exc.latest_size is None or exc.latest_size > cp.size:
                    raise
                lines = w.add_checkpoint(self.witness_request(exc.latest_size, cp))
            self.store.add_cosignatures(cp.id, [ln for ln in lines.splitlines(True) if ln.strip()])
            cp = self._stored_checkpoint(cp.id)
        return (
            add_signature_lines(cp.note, "".join(cp.cosignatures)) if cp.cosignatures else cp.note
        )

    def _checkpoint_covering(self, size: int, witnesses: Sequence[Witness]) -> StoredCheckpoint:
        cp = self.latest_checkpoint()
        if cp is None or cp.size < size:
            cid, _ = self.log.checkpoint(self.keys.signer, self.origin)
            cp = record_issued(self.key_dir, self._stored_checkpoint(cid))
        if witnesses:
            self._cosign(cp, witnesses)
            cp = self._stored_checkpoint(cp.id)
        return cp

    # -- proofs ----------------------------------------------------------------------------------

    def _tlog_proof(self, index: int, data: bytes, cp: StoredCheckpoint) -> str:
        hashes = self.log.inclusion_proof(index, cp.size)
        return TlogProof(index, tuple(hashes), self.note_with_cosignatures(cp), data).render()

    def prove(self, event_id: str, witnesses: Sequence[Witness] = ()) -> str:
        """A bundle proving one event's inclusion under the latest checkpoint (a new one is
        signed when the latest does not cover the event), as JSON text."""
        leaf = self.store.find_event(_event_id_bytes(event_id))
        if leaf is None:
            raise BadInputError(f"no event {event_id} in the log")
        self._event(leaf)
        cp = self._checkpoint_covering(leaf.index + 1, witnesses)
        return make_bundle(
            "event", [(leaf.index, leaf.data, self._tlog_proof(leaf.index, leaf.data, cp))], None
        )

    def trace(self, pseudonym: str, witnesses: Sequence[Witness] = ()) -> str:
        """A bundle of every event about one subject, each with its inclusion proof under one
        checkpoint, as JSON text."""
        leaves = self.store.leaves_for_subject(bytes.fromhex(_check_pseudonym(pseudonym)))
        if not leaves:
            raise BadInputError("the log holds no event about this subject")
        for leaf in leaves:
            self._event(leaf)
        cp = self._checkpoint_covering(leaves[-1].index + 1, witnesses)
        entries = [(lf.index, lf.data, self._tlog_proof(lf.index, lf.data, cp)) for lf in leaves]
        return make_bundle("trace", entries, pseudonym)

    # -- audit -----------------------------------------------------------------------------------

    @staticmethod
    def _leaf_problems(leaf: StoredLeaf) -> list[str]:
        try:
            event = Event.from_canonical(leaf.data)
        except EventError as exc:
            return [f"not a valid canonical event ({exc})"]
        out = []
        if leaf.event_id != event.event_id_bytes:
            out.append("its event id index does not match the event (the index was edited)")
        want = bytes.fromhex(event.subject) if event.subject else None
        if leaf.subject != want or leaf.subject_key != subject_key(want):
            out.append("its subject index does not match the event (the index was edited)")
        return out

    def verify(
        self,
        witness_keys: Sequence[Verifier | str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> AuditReport:
        """Recheck the whole store: the file itself, every leaf and its index entries, every
        tree node, the tree head and every checkpoint (and stored cosignature) ever issued."""
        from veil.ledger.note import parse_vkey
        from veil.ledger.stores.sqlite import StoreCorruptError

        keys = [parse_vkey(k) if isinstance(k, str) else k for k in witness_keys]
        integrity = self.store.check_integrity()
        try:
            report = self.log.audit(self.verifier, keys, self._leaf_problems, progress)
        except StoreCorruptError as exc:
            report = AuditReport()
            report.problem(str(exc))
        for text in integrity + issued_problems(self.key_dir, self.store):
            report.problem(text)
        meta = self.store.meta()
        if meta.get("log_vkey") != self.vkey:
            report.problem("the ledger's key record was changed")
        return report

    def status(self) -> LedgerStatus:
        head = self.head()
        latest = self.latest_checkpoint()
        return LedgerStatus(
            db=self.store.url,
            origin=self.origin,
            vkey=self.vkey,
            size=head.size,
            root=head.root,
            latest_checkpoint_id=latest.id if latest else None,
            latest_checkpoint_size=latest.size if latest else None,
            latest_cosigners=len(latest.cosignatures) if latest else 0,
            storage_bytes=self.store.storage_bytes(),
        )
