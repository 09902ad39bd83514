"""The consent registry and rights desk as the service opens them, and who-looked-at-my-data.

The registry lives in the service's database with the ledger as its event sink, and the template
vault holds the master key from ``VEIL_MASTER_KEY`` / ``VEIL_MASTER_KEY_FILE`` or, failing those,
``HOME/master.key`` (the service's home). A person is known to the service only by their subject
pseudonym (their link); :func:`records_of` finds their records by pseudonym, never by a raw id.
Every read of a person's records by an operator, auditor or admin goes through :func:`log_read`,
which appends a ``use`` (or ``export``) event naming the reader's role and account pseudonym.
A read of a range of the log itself (the auditor's entries pages, the export, entry bundles) goes
through :func:`log_range_read`: one event per person whose entries the range holds, in one
transaction, naming the range; a reader's own read events in the range count for no one, so a
reader paging through the log never chases the events its own reads left.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from veil.consent.records import ConsentRecord
from veil.consent.registry import ConsentError, ConsentRegistry
from veil.consent.rights import RightsDesk
from veil.consent.store import TABLE_PREFIX as CONSENT
from veil.consent.store import ConsentStore
from veil.consent.vault import MASTER_ENV, MASTER_FILE_ENV, MasterKey, MasterKeyError, Vault
from veil.ledger.person_trace import READ_SYSTEM, ReadAction, read_event
from veil.service.db import PREFIX

if TYPE_CHECKING:
    from veil.ledger import Ledger
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


RECORD_INDEX = f"{PREFIX}record_subjects"
_INDEX_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {RECORD_INDEX} (record_id TEXT PRIMARY KEY, pseudonym TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {RECORD_INDEX}_pseudonym ON {RECORD_INDEX} (pseudonym)",
)


def index_records(registry: ConsentRegistry) -> int:
    """Add every consent record not yet in the subject index (record id -> subject pseudonym,
    no raw id) to it; returns how many were added. Only new records are hashed."""
    store = registry.store
    with store.transaction() as cur:
        for sql in _INDEX_SCHEMA:
            cur.execute(sql)
        rows = cur.execute(
            f"SELECT r.record_id, r.subject FROM {CONSENT}records r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {RECORD_INDEX} i WHERE i.record_id = r.record_id)"
        ).fetchall()
        if rows:
            pairs = [(str(rid), registry.sink.pseudonym(str(subject))) for rid, subject in rows]
            cur.executemany(
                f"INSERT INTO {RECORD_INDEX} (record_id, pseudonym) VALUES (?, ?) "
                "ON CONFLICT (record_id) DO NOTHING",
                pairs,
            )
    return len(rows)


def records_of(registry: ConsentRegistry, pseudonym: str) -> list[ConsentRecord]:
    """The consent records whose subject has the pseudonym ``pseudonym`` (oldest first): an
    index lookup (:func:`index_records`), each record checked against the pseudonym."""
    index_records(registry)
    ids = registry.store.query(
        f"SELECT record_id FROM {RECORD_INDEX} WHERE pseudonym = ?", (pseudonym,)
    )
    out = []
    for (rid,) in ids:
        try:
            record = registry.get(str(rid))
        except ConsentError:
            continue  # deleted since it was indexed: the row names no one
        if registry.sink.pseudonym(record.subject) == pseudonym:
            out.append(record)
    return sorted(out, key=lambda r: (r.given_at, r.record_id))


def subject_of(registry: ConsentRegistry, pseudonym: str) -> str | None:
    """The subject id behind ``pseudonym``, known only when they have a consent record."""
    records = records_of(registry, pseudonym)
    return records[-1].subject if records else None


# In canonical event JSON (RFC 8785: sorted keys, quotes inside strings escaped) these byte
# patterns can only be the event's own fields.
_SUBJECT = re.compile(rb'"subject":"([0-9a-f]{64})"')
_READER = re.compile(rb'"reader":"sha256:([0-9a-f]{64})"')
_READ_SYSTEM = f'"system":"{READ_SYSTEM}/'.encode()


def reader_pseudonym(ledger: Ledger, reader: Principal) -> str:
    """The pseudonym a reader's read events name them by (their account or token pseudonym)."""
    return ledger.pseudonym(f"account:{reader.account or reader.role}")


def subjects_in(leaves: Iterable[bytes], skip_reader: str | None = None) -> Counter[str]:
    """The subject pseudonyms of these leaves (canonical event JSON), each with how many of the
    leaves are about them; a read event left by the reader ``skip_reader`` counts for no one."""
    out: Counter[str] = Counter()
    for data in leaves:
        found = _SUBJECT.search(data)
        if found is None:
            continue
        if skip_reader is not None and _READ_SYSTEM in data:
            by = _READER.search(data)
            if by is not None and by.group(1).decode() == skip_reader:
                continue
        out[found.group(1).decode()] += 1
    return out


def log_range_read(
    state: ServiceState,
    reader: Principal,
    leaves: Iterable[bytes],
    *,
    first: int,
    action: ReadAction = "use",
) -> int:
    """Log that ``reader`` read the leaves ``first``, ``first+1``, ... (their bytes): one
    ``action`` event per person they are about (``records``: how many of that person's entries,
    ``first_index``/``last_index``: the range), appended in one transaction. Returns how many
    events were appended; raises when they cannot be (the read must then not be served)."""
    if reader.role not in ("operator", "auditor", "admin"):
        return 0
    ledger = state.ledger()
    who = reader_pseudonym(ledger, reader)
    seen = 0

    def counted() -> Iterator[bytes]:
        nonlocal seen
        for data in leaves:
            seen += 1
            yield data

    about = sorted(subjects_in(counted(), who).items())
    span = {"first_index": first, "last_index": first + seen - 1}
    events = [
        read_event(ledger, reader.role, who, subject, action, counts={"records": n, **span})
        for subject, n in about
    ]  # fmt: skip
    ledger.append_many(events)
    return len(events)


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
    who = reader_pseudonym(ledger, reader)
    seen = sorted(set(subjects))
    counts = {"records": records} if records is not None else None
    for subject in seen:
        ledger.append(read_event(ledger, reader.role, who, subject, action, counts=counts))
    return len(seen)
