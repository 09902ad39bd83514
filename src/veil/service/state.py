"""What one app holds: its settings, the service database and the ledger (all in one database).

The app keeps no state of its own beyond these connections: sessions, tokens, links and login
failures live in the database, so several processes can serve behind one load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING

from veil.service.db import ServiceDb
from veil.service.settings import ServiceSettings

if TYPE_CHECKING:
    from veil.ledger import Ledger


@dataclass
class ServiceState:
    """The settings and open connections of one app (``app.state.veil``)."""

    settings: ServiceSettings
    db: ServiceDb
    _ledger: Ledger | None = None
    _lock: Lock = field(default_factory=Lock)

    @classmethod
    def open(cls, settings: ServiceSettings) -> ServiceState:
        """Open the service tables in the settings' database (the ledger opens on first use)."""
        return cls(settings, ServiceDb(settings.db_url()))

    def ledger(self) -> Ledger:
        """The ledger in the same database, created with its keys in ``HOME/ledger`` if new."""
        with self._lock:
            if self._ledger is None:
                from veil.ledger import Ledger

                self._ledger = Ledger.open(self.settings.db_url(), self.settings.key_dir())
            return self._ledger

    def close(self) -> None:
        """Close the database connections."""
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
        self.db.close()
