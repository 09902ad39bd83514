"""What Veil holds about one person, as the registry exports it (PIPL Art. 45)."""

from __future__ import annotations

from dataclasses import dataclass, field

from veil.consent.records import ConsentRecord
from veil.ledger.events import Event


@dataclass(frozen=True)
class SubjectExport:
    """Everything Veil holds about one person: consents, template count, ledger events."""

    subject: str
    pseudonym: str
    records: list[ConsentRecord]
    templates: int
    events: list[Event] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The export as JSON-ready data (records and events in their JSON form)."""
        return {
            "subject": self.subject,
            "pseudonym": self.pseudonym,
            "records": [r.model_dump(mode="json") for r in self.records],
            "templates": self.templates,
            "events": [e.model_dump(mode="json", exclude_none=True) for e in self.events],
        }
