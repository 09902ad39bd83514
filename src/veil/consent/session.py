"""Open the consent registry the way the CLI and the service do: one database for consent and
ledger (``--db`` / ``VEIL_DB``, else the SQLite file under ``$VEIL_HOME``), the ledger as the event
sink, and the vault with the configured master key (or without one, and the reason).
:func:`in_registry` runs one operation on a registry opened for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from veil.config import default_db_url

if TYPE_CHECKING:  # imported on use: the CLI imports this module before parsing
    from veil.consent.registry import ConsentRegistry

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def open_registry(db_url: str | None = None) -> Iterator[ConsentRegistry]:
    """A registry over ``db_url`` whose events go to the ledger in the same database."""
    from veil.consent.registry import ConsentRegistry
    from veil.consent.store import ConsentStore
    from veil.consent.vault import Vault
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


def in_registry(
    db_url: str | None,
    operation: Callable[Concatenate[ConsentRegistry, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``operation(registry, *args, **kwargs)`` on the registry of ``db_url``, closed after."""
    with open_registry(db_url) as registry:
        return operation(registry, *args, **kwargs)
