"""What ``veil ledger status`` shows about one ledger."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


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
        """The status as JSON-ready values (the root in base64)."""
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

    def identity(self) -> dict[str, Any]:
        """What ``veil ledger init --json`` prints: origin, verifier key, database and size."""
        return {"origin": self.origin, "vkey": self.vkey, "db": self.db, "size": self.size}

    def lines(self) -> list[str]:
        """The text form, one ``key: value`` line per field of :meth:`as_dict`."""
        return [f"{k}: {v}" for k, v in self.as_dict().items()]
