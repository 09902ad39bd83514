"""The :class:`Ledger` facade: one database and one key folder, the entry point the rest of
Veil uses (consent, stream, blur, the CLI) to log events, sign checkpoints, prove and audit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from veil.config import default_db_url
from veil.errors import BadInputError, ConfigError, VerificationError
from veil.ledger.audit import AuditReport, audit_log
from veil.ledger.binding import bind_keys
from veil.ledger.cosign import checked_cosignatures, cosigned_by
from veil.ledger.events import Event, pseudonym, raw_identifier_in
from veil.ledger.issued import issued_problems, record_issued
from veil.ledger.keys import LedgerKeys, default_key_dir
from veil.ledger.log import TransparencyLog, TreeHead
from veil.ledger.note import Verifier, add_signature_lines, cosigner_verifier, parse_vkey
from veil.ledger.proofs import TlogProof, make_bundle
from veil.ledger.rows import check_pseudonym, event_id_bytes, event_row, leaf_event, leaf_problems
from veil.ledger.status import LedgerStatus
from veil.ledger.stores import (
    DuplicateEventError,
    Store,
    StoreCorruptError,
    StoredCheckpoint,
    open_store,
)
from veil.ledger.witness import AddCheckpointRequest, Witness, WitnessError


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
            return cls(store, bind_keys(store, url, kd, create, origin), kd)
        except BaseException:
            store.close()
            raise

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
        rows = [event_row(e) for e in evs]
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

    def events_for_subject(self, pseudonym: str) -> list[Event]:
        """Every event about the subject with this pseudonym, in log order (an index lookup)."""
        return [e for _, e in self.entries_for_subject(pseudonym)]

    def entries_for_subject(self, pseudonym: str) -> list[tuple[int, Event]]:
        """(leaf index, event) of every event about the subject, in log order."""
        leaves = self.store.leaves_for_subject(bytes.fromhex(check_pseudonym(pseudonym)))
        return [(leaf.index, leaf_event(leaf)) for leaf in leaves]

    def find_event(self, event_id: str) -> tuple[int, Event]:
        """(leaf index, event) of the event with this id."""
        leaf = self.store.find_event(event_id_bytes(event_id))
        if leaf is None:
            raise BadInputError(f"no event {event_id} in the log")
        return leaf.index, leaf_event(leaf)

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
        cp = self.latest_checkpoint()
        if cp is None:
            raise ConfigError("the ledger has no checkpoint yet: run `veil ledger checkpoint`")
        good = checked_cosignatures(cp, lines, witness_key)
        self.store.add_cosignatures(cp.id, good)
        return self._stored_checkpoint(cp.id)

    def _cosign(self, cp: StoredCheckpoint, witnesses: Sequence[Witness]) -> str:
        for w in witnesses:
            key = cosigner_verifier(w.vkey)
            if (key.name, key.key_id) in cosigned_by(cp):
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
        leaf = self.store.find_event(event_id_bytes(event_id))
        if leaf is None:
            raise BadInputError(f"no event {event_id} in the log")
        leaf_event(leaf)
        cp = self._checkpoint_covering(leaf.index + 1, witnesses)
        return make_bundle(
            "event", [(leaf.index, leaf.data, self._tlog_proof(leaf.index, leaf.data, cp))], None
        )

    def trace(self, pseudonym: str, witnesses: Sequence[Witness] = ()) -> str:
        """A bundle of every event about one subject, each with its inclusion proof under one
        checkpoint, as JSON text."""
        leaves = self.store.leaves_for_subject(bytes.fromhex(check_pseudonym(pseudonym)))
        if not leaves:
            raise BadInputError("the log holds no event about this subject")
        for leaf in leaves:
            leaf_event(leaf)
        cp = self._checkpoint_covering(leaves[-1].index + 1, witnesses)
        entries = [(lf.index, lf.data, self._tlog_proof(lf.index, lf.data, cp)) for lf in leaves]
        return make_bundle("trace", entries, pseudonym)

    # -- audit -----------------------------------------------------------------------------------

    def verify(
        self,
        witness_keys: Sequence[Verifier | str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> AuditReport:
        """Recheck the whole store: the file itself, every leaf and its index entries, every
        tree node, the tree head and every checkpoint (and stored cosignature) ever issued."""
        keys = [parse_vkey(k) if isinstance(k, str) else k for k in witness_keys]
        integrity = self.store.check_integrity()
        try:
            report = audit_log(self.log, self.verifier, keys, leaf_problems, progress)
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
        """What ``veil ledger status`` shows: the tree head, the latest checkpoint, storage."""
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
