"""The consent registry: declare purposes, grant, withdraw, expire, query, export.

Every change is one database transaction followed by one ledger event (``consent_granted``,
``consent_withdrawn``, ``consent_expired``, ``store`` for enrolled templates, ``export``).
Withdrawal and expiry shred first (templates deleted, subject key destroyed, free space purged)
and then record the event, so a failing ledger never keeps a template alive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Required, TypedDict, Unpack

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from veil.consent.events import EventSink, consent_event
from veil.consent.records import (
    ConsentRecord,
    ConsentState,
    Guardian,
    Purpose,
    StateChange,
    consent_validity,
    utcnow,
)
from veil.consent.store import TABLE_PREFIX, ConsentStore, Cursor
from veil.consent.subject_export import SubjectExport
from veil.consent.vault import Vault
from veil.errors import BadInputError, ConfigError
from veil.textsafe import refuse_controls

P = TABLE_PREFIX


class GrantTerms(TypedDict, total=False):
    """What :meth:`ConsentRegistry.grant` records: the subject, controller, purposes, notice and
    method are required; the consent lasts ``valid_for`` (a year) unless ``expires_at`` is
    given; a subject under 14 needs a ``guardian``."""

    subject: Required[str]
    controller: Required[str]
    purposes: Required[Sequence[str]]
    notice_version: Required[str]
    notice_digest: Required[str]
    collection_method: Required[str]
    valid_for: timedelta | None
    expires_at: datetime | None
    given_at: datetime | None
    under_14: bool
    birth_date: date | None
    guardian: Guardian | None
    data_categories: Sequence[str] | None


class ConsentError(BadInputError):
    """A consent operation that is not allowed (unknown record, no valid consent, ...)."""


def pydantic_message(exc: ValidationError) -> str:
    """The first problem of a validation error, as one line."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def notice_digest(text: bytes) -> str:
    """``sha256:`` digest of the notice text shown to the person."""
    return "sha256:" + hashlib.sha256(text).hexdigest()


class ConsentRegistry:
    """Consent records in a :class:`ConsentStore`, events to an :class:`EventSink`.

    ``vault`` is needed to enroll and to shred; a registry without one refuses to withdraw or
    expire records that have templates (it cannot destroy them).
    """

    def __init__(self, store: ConsentStore, sink: EventSink, vault: Vault | None = None) -> None:
        self.store = store
        self.sink = sink
        self.vault = vault

    # -- purposes -----------------------------------------------------------------------------
    def declare_purpose(
        self,
        name: str,
        *,
        description: str = "",
        access: bool = False,
        alternative: str | None = None,
        replace: bool = False,
    ) -> Purpose:
        """Declare (or with ``replace`` redefine) a purpose."""
        refuse_controls({"description": description, "alternative": alternative}, ConfigError)
        try:
            purpose = Purpose(
                name=name, description=description, access=access, alternative=alternative
            )
        except ValidationError as exc:
            raise ConfigError(f"purpose {name!r}: {pydantic_message(exc)}") from None
        with self.store.transaction() as cur:
            exists = cur.execute(f"SELECT 1 FROM {P}purposes WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                raise ConfigError(f"purpose {name!r} is already declared (use --replace)")
            if exists:
                cur.execute(
                    f"UPDATE {P}purposes SET body = ? WHERE name = ?",
                    (purpose.model_dump_json(), name),
                )
            else:
                cur.execute(
                    f"INSERT INTO {P}purposes (name, body) VALUES (?, ?)",
                    (name, purpose.model_dump_json()),
                )
        return purpose

    def purposes(self) -> list[Purpose]:
        """Every declared purpose, by name."""
        rows = self.store.query(f"SELECT body FROM {P}purposes ORDER BY name")
        return [Purpose.model_validate_json(r[0]) for r in rows]

    def purpose(self, name: str) -> Purpose:
        """The declared purpose ``name``, or a clear error."""
        rows = self.store.query(f"SELECT body FROM {P}purposes WHERE name = ?", (name,))
        if not rows:
            raise ConfigError(
                f"unknown purpose {name!r}: declare it first with `veil consent purpose add {name}`"
            )
        return Purpose.model_validate_json(rows[0][0])

    # -- records ------------------------------------------------------------------------------
    def grant(self, **terms: Unpack[GrantTerms]) -> ConsentRecord:
        """Record a consent and log ``consent_granted``. Refuses a minor without a guardian."""
        for name in terms["purposes"]:
            self.purpose(name)
        given = terms.get("given_at") or utcnow()
        valid_for = terms.get("valid_for") or timedelta(days=365)
        fields: dict[str, object] = {
            **{k: v for k, v in terms.items() if k not in ("valid_for", "data_categories")},
            "purposes": tuple(terms["purposes"]),
            "given_at": given,
            "expires_at": terms.get("expires_at") or given + consent_validity(valid_for),
        }
        categories = terms.get("data_categories")
        if categories:
            fields["data_categories"] = tuple(categories)
        refuse_controls(fields, ConsentError, "invalid consent: ")
        try:
            record = ConsentRecord.model_validate(fields)
            record = record.model_copy(update={"history": (_given(record),)})
        except ValidationError as exc:
            raise ConsentError(f"invalid consent: {pydantic_message(exc)}") from None
        if record.is_minor(given) and record.guardian is None:
            raise ConsentError(
                "the subject is under 14: consent needs a parent's or guardian's consent "
                "(--guardian REF --guardian-relation REL); PIPL Art. 31"
            )
        # Validate the event before storing anything, so a bad controller name changes nothing.
        event = consent_event(self.sink, record, "consent_granted")
        with self.store.transaction() as cur:
            self._insert(cur, record)
        self.sink.append(event)
        return record

    def _insert(self, cur: Cursor, record: ConsentRecord) -> None:
        cur.execute(
            f"INSERT INTO {P}records (record_id, subject, state, expires_at, body) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                record.record_id,
                record.subject,
                record.state.value,
                record.expires_at.isoformat(),
                record.model_dump_json(),
            ),
        )

    def _update(self, cur: Cursor, record: ConsentRecord) -> None:
        cur.execute(
            f"UPDATE {P}records SET state = ?, body = ? WHERE record_id = ?",
            (record.state.value, record.model_dump_json(), record.record_id),
        )

    def get(self, record_id: str) -> ConsentRecord:
        """The record ``record_id``, or :class:`ConsentError`."""
        rows = self.store.query(f"SELECT body FROM {P}records WHERE record_id = ?", (record_id,))
        if not rows:
            raise ConsentError(f"no consent record {record_id!r}")
        return ConsentRecord.model_validate_json(rows[0][0])

    def records(
        self,
        *,
        subject: str | None = None,
        purpose: str | None = None,
        state: ConsentState | None = None,
    ) -> list[ConsentRecord]:
        """Records, filtered; oldest first."""
        sql = f"SELECT body FROM {P}records"
        where: list[str] = []
        params: list[str] = []
        if subject is not None:
            where.append("subject = ?")
            params.append(subject)
        if state is not None:
            where.append("state = ?")
            params.append(state.value)
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = [ConsentRecord.model_validate_json(r[0]) for r in self.store.query(sql, params)]
        if purpose is not None:
            out = [r for r in out if purpose in r.purposes]
        return sorted(out, key=lambda r: (r.given_at, r.record_id))

    def record_ids(self, *, state: ConsentState) -> list[str]:
        """Ids of the records in ``state`` (cheap: no record is parsed)."""
        rows = self.store.query(f"SELECT record_id FROM {P}records WHERE state = ?", (state.value,))
        return [str(r[0]) for r in rows]

    def valid_records(self, purpose: str, at: datetime | None = None) -> list[ConsentRecord]:
        """Records that allow recognition for ``purpose`` at ``at`` (now)."""
        now = at or utcnow()
        return [
            r
            for r in self.records(purpose=purpose, state=ConsentState.GIVEN)
            if r.is_valid(purpose, now)
        ]

    def valid_consent(
        self, subject: str, purpose: str, at: datetime | None = None
    ) -> ConsentRecord | None:
        """The subject's valid record for ``purpose`` (latest expiry), or ``None``."""
        now = at or utcnow()
        valid = [r for r in self.records(subject=subject) if r.is_valid(purpose, now)]
        return max(valid, key=lambda r: r.expires_at) if valid else None

    # -- templates ----------------------------------------------------------------------------
    def add_templates(
        self, subject: str, purpose: str, model: str, vectors: npt.NDArray[np.float32]
    ) -> tuple[ConsentRecord, list[str]]:
        """Store ``vectors`` under the subject's valid consent for ``purpose`` and log ``store``."""
        vault = self._need_vault("enroll")
        record = self.valid_consent(subject, purpose)
        if record is None:
            raise ConsentError(self.why_no_consent(subject, purpose))
        event = consent_event(
            self.sink,
            record,
            "store",
            purposes=[purpose],
            categories=["biometric.facial_template"],
            counts={"templates": len(vectors)},
        )
        with self.store.transaction() as cur:
            # Re-check inside the transaction: a withdrawal may have happened meanwhile.
            row = cur.execute(
                f"SELECT state FROM {P}records WHERE record_id = ?", (record.record_id,)
            ).fetchone()
            if row is None or row[0] != ConsentState.GIVEN.value:
                raise ConsentError(f"consent {record.record_id} is no longer valid")
            ids = vault.add(cur, subject, record.record_id, model, vectors)
        self.sink.append(event)
        return record, ids

    def why_no_consent(self, subject: str, purpose: str) -> str:
        """One line saying why ``subject`` has no valid consent for ``purpose``."""
        records = self.records(subject=subject)
        if not records:
            return f"no consent recorded for subject {subject!r}: grant one first"
        reasons = sorted({r.validity(purpose) for r in records})
        return (
            f"subject {subject!r} has no valid consent for purpose {purpose!r} "
            f"({', '.join(r.replace('_', ' ') for r in reasons)})"
        )

    def _need_vault(self, what: str) -> Vault:
        if self.vault is None:
            raise ConfigError(f"cannot {what} without the master key (the template vault)")
        return self.vault

    # -- withdrawal and expiry ----------------------------------------------------------------
    def withdraw(
        self,
        record_id: str | None = None,
        *,
        subject: str | None = None,
        purpose: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> list[ConsentRecord]:
        """Withdraw one record, or every given record of ``subject`` (for ``purpose``)."""
        if record_id is not None:
            targets = [self.get(record_id)]
        elif subject is not None:
            targets = self.records(subject=subject, purpose=purpose, state=ConsentState.GIVEN)
            if not targets:
                raise ConsentError(
                    f"subject {subject!r} has no given consent"
                    + (f" for purpose {purpose!r}" if purpose else "")
                )
        else:
            raise ConsentError("withdraw needs a record id or a subject")
        done = []
        for record in targets:
            if record.state is not ConsentState.GIVEN:
                raise ConsentError(f"consent {record.record_id} is already {record.state.value}")
            done.append(self._end(record, ConsentState.WITHDRAWN, note, at or utcnow()))
        return done

    def expire_due(self, at: datetime | None = None) -> list[ConsentRecord]:
        """Mark every given record past its expiry as expired, shredding its templates."""
        now = at or utcnow()
        due = [r for r in self.records(state=ConsentState.GIVEN) if r.expires_at <= now]
        return [self._end(r, ConsentState.EXPIRED, None, now) for r in due]

    def _end(
        self, record: ConsentRecord, state: ConsentState, note: str | None, at: datetime
    ) -> ConsentRecord:
        action = "consent_withdrawn" if state is ConsentState.WITHDRAWN else "consent_expired"
        ended = record.with_state(state, at, note)
        with self.store.transaction() as cur:
            has_templates = cur.execute(
                f"SELECT COUNT(*) FROM {P}templates WHERE record_id = ?", (record.record_id,)
            ).fetchone()
            count = int(has_templates[0]) if has_templates else 0
            deleted = 0
            if count:
                deleted = self._need_vault("delete templates").shred(
                    cur, record.subject, [record.record_id]
                )
            self._update(cur, ended)
        event = consent_event(self.sink, ended, action, counts={"templates_deleted": deleted})
        try:
            if deleted:
                self.store.purge_free_space()  # the key is already gone; this erases the bytes
        finally:
            self.sink.append(event)  # recorded even if the physical purge failed
        return ended

    # -- export -------------------------------------------------------------------------------
    def export(self, subject: str, *, log: bool = True) -> SubjectExport:
        """Every consent and every ledger event about ``subject`` (logged as ``export``)."""
        records = self.records(subject=subject)
        if not records:
            raise ConsentError(f"no consent recorded for subject {subject!r}")
        pseudonym = self.sink.pseudonym(subject)
        templates = (
            self.vault.count(subject)
            if self.vault is not None
            else int(
                self.store.query(
                    f"SELECT COUNT(*) FROM {P}templates WHERE subject = ?", (subject,)
                )[0][0]
            )
        )
        if log:
            latest = records[-1]
            self.sink.append(
                consent_event(
                    self.sink,
                    latest,
                    "export",
                    purposes=sorted({p for r in records for p in r.purposes}),
                    categories=["consent_record"],
                    counts={"records": len(records)},
                )
            )
        events = self.sink.events_for_subject(pseudonym)
        return SubjectExport(subject, pseudonym, records, templates, events)


def _given(record: ConsentRecord) -> StateChange:
    return StateChange(state=ConsentState.GIVEN, at=record.given_at)
