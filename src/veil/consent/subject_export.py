"""What Veil holds about one person, as the registry exports it (PIPL Art. 45), and
``veil consent export``: the export written to a private file or shown as text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veil.consent.records import ConsentRecord
from veil.core.shown import Block
from veil.ledger.events import Event

if TYPE_CHECKING:
    from veil.consent.registry import ConsentRegistry


@dataclass(frozen=True)
class SubjectExport:
    """Everything Veil holds about one person: consents, template count, ledger events."""

    subject: str
    pseudonym: str
    records: list[ConsentRecord]
    templates: int
    events: list[Event] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The export as JSON-ready data (records and events in their JSON form)."""
        return {
            "subject": self.subject,
            "pseudonym": self.pseudonym,
            "records": [r.model_dump(mode="json") for r in self.records],
            "templates": self.templates,
            "events": [e.model_dump(mode="json", exclude_none=True) for e in self.events],
        }

    def text(self) -> list[Block]:
        """The records as a table, the template count and one line per ledger event."""
        from veil.consent.record_views import records_table

        title = f"subject {self.subject}: {len(self.records)} consent(s)"
        blocks: list[Block] = [records_table(self.records, title)]
        blocks.append(f"{self.templates} face template(s); {len(self.events)} ledger event(s):")
        blocks += [f"  {e.time} {e.action} {e.purpose} {e.consent_ref or ''}" for e in self.events]
        return blocks


@dataclass(frozen=True)
class WrittenExport:
    """An export and the file it was written to (``None``: not written, shown instead)."""

    export: SubjectExport
    output: Path | None

    def to_json(self) -> dict[str, Any]:
        """The export's JSON form (what the file holds)."""
        return self.export.to_json()

    def text(self) -> list[Block]:
        """Where it went, or the export itself when it was not written."""
        if self.output is None:
            return self.export.text()
        e = self.export
        return [f"exported {len(e.records)} consent(s), {len(e.events)} event(s) to {self.output}"]


def export_subject(
    registry: ConsentRegistry, subject: str, output: Path | None = None
) -> WrittenExport:
    """Export ``subject`` (logged as ``export``); with ``output``, write its JSON there, 0600."""
    from veil.core.atomic import write_file_atomic
    from veil.errors import OutputError

    export = registry.export(subject)
    if output is not None:
        text = json.dumps(export.to_json(), indent=2, ensure_ascii=False) + "\n"
        try:
            write_file_atomic(output, text, 0o600)  # personal data: the owner's eyes only
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OutputError(f"{output}: cannot write output: {reason}") from None
    return WrittenExport(export, output)
