"""How ``veil consent`` shows consent records on a terminal (rich tables)."""

from __future__ import annotations

from typing import Any

from veil.cli.consent_common import console
from veil.textsafe import safe_markup


def record_lines(record: Any) -> list[tuple[str, str]]:
    """The (label, value) rows shown for one record, its guardian and its history."""
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
    return rows


def print_record(record: Any) -> None:
    """Print one record as a two-column table."""
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in record_lines(record):
        table.add_row(key, safe_markup(value))
    console().print(table)


def print_records(records: list[Any], title: str) -> None:
    """Print records as one table under ``title``."""
    from rich.table import Table

    table = Table(title=safe_markup(title))
    for column in ("record", "subject", "purposes", "state", "expires"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            r.record_id,
            safe_markup(r.subject),
            ", ".join(r.purposes),
            r.validity(r.purposes[0]) if r.state.value == "given" else r.state.value,
            r.expires_at.date().isoformat(),
        )
    console().print(table)
