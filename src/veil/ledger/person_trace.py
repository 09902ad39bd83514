"""One person's trace: their entries of the ledger, each with a C2SP tlog-proof, and the
"who looked at my data" events that readers leave in it.

:func:`person_trace` looks the subject up in the store's subject index (never a scan of the log)
and proves every entry against the latest cosigned checkpoint (:mod:`veil.ledger.published`).
Entries logged after that checkpoint are listed as ``pending``, without a proof, until the next
checkpoint is cosigned; nothing here signs a checkpoint. :func:`read_event` is the event that
logs a read of a person's records by an operator or auditor (``use`` or ``export``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from veil.ledger.events import Event, EventError
from veil.ledger.proofs import TlogProof, make_bundle
from veil.ledger.published import CheckpointView, checkpoint_view, latest_cosigned

if TYPE_CHECKING:
    from veil.ledger import Ledger

ReaderRole = Literal["operator", "auditor", "admin"]
ReadAction = Literal["use", "export"]
READ_SYSTEM = "veil-service"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TraceEntry(BaseModel):
    """One of the person's entries; ``tlog_proof`` is ``None`` while no cosigned checkpoint
    covers it yet."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0, description="the entry's leaf index in the log")
    event: dict[str, Any] = Field(description="the event, exactly as the proved leaf bytes")
    tlog_proof: str | None = Field(description="c2sp.org/tlog-proof@v1 text, extra = leaf bytes")


class PersonTrace(BaseModel):
    """Every entry about one subject, proved against one cosigned checkpoint."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="the subject pseudonym")
    checkpoint: CheckpointView | None = Field(description="what the proofs are against")
    entries: tuple[TraceEntry, ...] = Field(description="proved entries, in log order")
    pending: tuple[TraceEntry, ...] = Field(
        description="entries no cosigned checkpoint covers yet (no proof)"
    )

    def bundle(self) -> str:
        """The proved entries as a Veil trace bundle (``veil ledger verify-bundle`` reads it)."""
        rows = [
            (e.index, json.dumps(e.event, separators=(",", ":")).encode(), e.tlog_proof or "")
            for e in self.entries
        ]
        return make_bundle("trace", rows, self.subject)


def _check_hex(value: str, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise EventError(f"{what} must be 64 lower-case hex digits (from Ledger.pseudonym)")
    return value


def person_trace(ledger: Ledger, subject_pseudonym: str) -> PersonTrace:
    """The subject's entries only (an index lookup), each with an inclusion proof against the
    latest cosigned checkpoint; entries after it are ``pending``. A subject the log never saw
    gets an empty trace (no error: the answer must not differ from "nothing about you yet")."""
    subject = _check_hex(subject_pseudonym, "a subject pseudonym")
    cp = latest_cosigned(ledger)
    size = cp.size if cp is not None else 0
    note = ledger.note_with_cosignatures(cp) if cp is not None else ""
    proved: list[TraceEntry] = []
    pending: list[TraceEntry] = []
    for index, event in ledger.entries_for_subject(subject):
        data = event.canonical()
        body = json.loads(data)
        if index < size:
            hashes = ledger.log.inclusion_proof(index, size)
            proof = TlogProof(index, tuple(hashes), note, data).render()
            proved.append(TraceEntry(index=index, event=body, tlog_proof=proof))
        else:
            pending.append(TraceEntry(index=index, event=body, tlog_proof=None))
    view = checkpoint_view(ledger, cp) if cp is not None else None
    return PersonTrace(
        subject=subject, checkpoint=view, entries=tuple(proved), pending=tuple(pending)
    )


def read_event(
    ledger: Ledger,
    reader_role: ReaderRole,
    reader_pseudonym: str,
    subject: str,
    action: ReadAction = "use",
    *,
    controller: str | None = None,
    data_categories: tuple[str, ...] = ("consent_record",),
    counts: dict[str, int] | None = None,
    legal_basis: str = "legal_obligation",
) -> Event:
    """The event that says a reader looked at (``use``) or exported (``export``) the subject's
    records (not appended: callers append one or many).

    The event names the subject by pseudonym, the reader by role (``system`` is
    ``veil-service/<role>``) and by account pseudonym (the ``reader`` digest, the HMAC-SHA256
    the ledger's pseudonym key gives the account name): no raw personal data. ``counts`` says
    what was read (``records``: how many; a range read adds ``first_index``/``last_index``);
    ``legal_basis`` is the reader's (PIPL Art. 13).
    """
    if reader_role not in ("operator", "auditor", "admin"):
        raise EventError(f"reader role must be operator, auditor or admin, not {reader_role!r}")
    if action not in ("use", "export"):
        raise EventError(f"a read is logged as 'use' or 'export', not {action!r}")
    reader = _check_hex(reader_pseudonym, "a reader pseudonym")
    who = _check_hex(subject, "a subject pseudonym")
    verb = "exported" if action == "export" else "read"
    return Event.new(
        action=action,
        controller=ledger.controller_or_origin(controller),
        system=f"{READ_SYSTEM}/{reader_role}",
        data_categories=list(data_categories),
        purpose=f"an {reader_role} {verb} the person's records through the Veil service",
        legal_basis=legal_basis,
        subject_pseudonym=who,
        counts=counts,
        digests={"reader": "sha256:" + reader},
    )
