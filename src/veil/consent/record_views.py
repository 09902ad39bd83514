"""Consent records as an operator reads and ends them (``veil consent show|list|withdraw|expire``).

Each operation takes the registry and one typed request and returns a
:class:`~veil.core.shown.ModelsShown` of the records: their JSON form and the text that reports
them (a line per change, or a table), the same for the CLI and for any other caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from veil.consent.records import ConsentRecord, ConsentState
from veil.consent.registry import ConsentRegistry
from veil.core.shown import ModelsShown, TextTable
from veil.errors import ConfigError

RecordsShown = ModelsShown[ConsentRecord]
LIST_COLUMNS = ("record", "subject", "purposes", "state", "expires")


@dataclass(frozen=True)
class Withdrawal:
    """What to withdraw: one record by id, or every given consent of ``subject`` (for
    ``purpose``), with an optional ``note`` kept in the history."""

    record_id: str | None = None
    subject: str | None = None
    purpose: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if (self.record_id is None) == (self.subject is None):
            raise ConfigError("give a record id or --subject (not both)")


@dataclass(frozen=True)
class RecordFilter:
    """Which records to list: by subject, purpose and state (``given``, ``withdrawn``,
    ``expired``); ``None`` matches all."""

    subject: str | None = None
    purpose: str | None = None
    state: str | None = None

    def wanted_state(self) -> ConsentState | None:
        """The state as a :class:`ConsentState`, or :class:`~veil.errors.ConfigError`."""
        try:
            return ConsentState(self.state) if self.state else None
        except ValueError:
            raise ConfigError(
                f"unknown state {self.state!r}: use given, withdrawn or expired"
            ) from None


def record_rows(record: ConsentRecord) -> tuple[tuple[str, str], ...]:
    """The (label, value) rows of one record, its guardian and its history."""
    rows = [
        ("record", record.record_id),
        ("subject", record.subject),
        ("controller", record.controller),
        ("purposes", ", ".join(record.purposes)),
        ("state", record.state.value),
        ("given", record.given_at.isoformat()),
        ("expires", record.expires_at.isoformat()),
        ("notice", f"{record.notice_version} ({record.notice_digest})"),
        ("method", record.collection_method),
        ("categories", ", ".join(record.data_categories)),
        ("legal basis", record.legal_basis),
    ]
    if record.is_minor():
        guardian = record.guardian
        rows.append(
            ("guardian", f"{guardian.relation}: {guardian.reference}" if guardian else "MISSING")
        )
    for change in record.history:
        rows.append(
            ("history", f"{change.at.isoformat()} {change.state.value} {change.note or ''}".strip())
        )
    return tuple(rows)


def records_table(records: list[ConsentRecord], title: str) -> TextTable:
    """Records as one table under ``title``: id, subject, purposes, state, expiry date."""
    rows = tuple(
        (
            r.record_id,
            r.subject,
            ", ".join(r.purposes),
            r.validity(r.purposes[0]) if r.state is ConsentState.GIVEN else r.state.value,
            r.expires_at.date().isoformat(),
        )
        for r in records
    )
    return TextTable(rows, LIST_COLUMNS, title=title)


def show_record(registry: ConsentRegistry, record_id: str) -> RecordsShown:
    """One record and its history (a label/value table)."""
    record = registry.get(record_id)
    return ModelsShown((record,), (TextTable(record_rows(record)),), single=True)


def list_records(registry: ConsentRegistry, selection: RecordFilter) -> RecordsShown:
    """The records ``selection`` matches, oldest first, as a table."""
    state = selection.wanted_state()
    records = registry.records(subject=selection.subject, purpose=selection.purpose, state=state)
    table = records_table(records, f"{len(records)} consent record(s)")
    return ModelsShown(tuple(records), (table,))


def withdraw_records(registry: ConsentRegistry, withdrawal: Withdrawal) -> RecordsShown:
    """Withdraw what ``withdrawal`` names (templates deleted, key destroyed, then logged)."""
    done = registry.withdraw(
        withdrawal.record_id,
        subject=withdrawal.subject,
        purpose=withdrawal.purpose,
        note=withdrawal.note,
    )
    lines = tuple(f"consent {r.record_id} withdrawn; face templates deleted" for r in done)
    return ModelsShown(tuple(done), lines)


def expire_records(registry: ConsentRegistry) -> RecordsShown:
    """Mark consents past their expiry as expired and shred their templates."""
    done = registry.expire_due()
    return ModelsShown(tuple(done), (f"{len(done)} consent(s) expired",))
