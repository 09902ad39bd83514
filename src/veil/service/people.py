"""The consent registry and rights desk as the service opens them, and who-looked-at-my-data.

The registry lives in the service's database with the ledger as its event sink, and the template
vault holds the master key from ``VEIL_MASTER_KEY`` / ``VEIL_MASTER_KEY_FILE`` or, failing those,
``HOME/master.key`` (the service's home). A person is known to the service only by their subject
pseudonym (their link); :func:`records_of` finds their records by pseudonym, never by a raw id.
Every read of a person's records by an operator, auditor or admin goes through :func:`log_read`,
which appends a ``use`` (or ``export``) event naming the reader's role and account pseudonym.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from veil.consent.records import ConsentRecord
from veil.consent.registry import ConsentRegistry
from veil.consent.rights import RightsDesk
from veil.consent.store import ConsentStore
from veil.consent.vault import MASTER_ENV, MASTER_FILE_ENV, MasterKey, MasterKeyError, Vault
from veil.ledger.person_trace import ReadAction, record_read

if TYPE_CHECKING:
    from veil.service.auth import Principal
    from veil.service.state import ServiceState


def _vault(store: ConsentStore, home: Path) -> Vault:
    try:
        text = os.environ.get(MASTER_ENV)
        if text:
            return Vault(store, MasterKey.from_hex(text, MASTER_ENV))
        override = os.environ.get(MASTER_FILE_ENV)
        path = Path(override).expanduser() if override else home / "master.key"
        return Vault(store, MasterKey.from_file(path))
    except MasterKeyError as exc:
        return Vault(store, None, key_error=str(exc))


@contextmanager
def open_registry(state: ServiceState) -> Iterator[ConsentRegistry]:
    """The consent registry in the service's database, its events in the service's ledger."""
    store = ConsentStore(state.settings.db_url())
    try:
        yield ConsentRegistry(store, state.ledger(), _vault(store, state.settings.veil_home()))
    finally:
        store.close()


def rights_desk(state: ServiceState, registry: ConsentRegistry) -> RightsDesk:
    """The rights desk over the registry's store, in the name of the ledger's controller."""
    ledger = state.ledger()
    return RightsDesk(registry.store, ledger, ledger.controller_or_origin(None))


def records_of(registry: ConsentRegistry, pseudonym: str) -> list[ConsentRecord]:
    """The consent records whose subject has the pseudonym ``pseudonym`` (oldest first)."""
    cache: dict[str, str] = {}
    out = []
    for record in registry.records():
        if record.subject not in cache:
            cache[record.subject] = registry.sink.pseudonym(record.subject)
        if cache[record.subject] == pseudonym:
            out.append(record)
    return out


def subject_of(registry: ConsentRegistry, pseudonym: str) -> str | None:
    """The subject id behind ``pseudonym``, known only when they have a consent record."""
    records = records_of(registry, pseudonym)
    return records[-1].subject if records else None


def log_read(
    state: ServiceState,
    reader: Principal,
    subjects: Iterable[str],
    *,
    action: ReadAction = "use",
    records: int | None = None,
) -> int:
    """Log one read event per distinct subject pseudonym in ``subjects`` by ``reader`` (an
    operator, auditor or admin); returns how many events were appended."""
    if reader.role not in ("operator", "auditor", "admin"):
        return 0
    ledger = state.ledger()
    who = ledger.pseudonym(f"account:{reader.account or reader.role}")
    seen = sorted(set(subjects))
    for subject in seen:
        record_read(ledger, reader.role, who, subject, action, records=records)
    return len(seen)
