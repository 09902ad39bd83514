"""Open the consent registry the way the CLI and the service do: one database for consent and
ledger (``--db`` / ``VEIL_DB``, else the SQLite file under ``$VEIL_HOME``), the ledger as the event
sink, and the vault with the configured master key (or without one, and the reason)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from veil.config import default_db_url
from veil.consent.registry import ConsentRegistry
from veil.consent.store import ConsentStore
from veil.consent.vault import Vault


@contextmanager
def open_registry(db_url: str | None = None) -> Iterator[ConsentRegistry]:
    """A registry over ``db_url`` whose events go to the ledger in the same database."""
    from veil.ledger import Ledger

    url = db_url or default_db_url()
    ledger = Ledger.open(url)
    try:
        store = ConsentStore(url)
        try:
            yield ConsentRegistry(store, ledger, Vault.from_environment(store))
        finally:
            store.close()
    finally:
        ledger.close()
