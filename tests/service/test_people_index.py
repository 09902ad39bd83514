"""A person's consent records are found through the subject index (record id -> pseudonym), not
by hashing every record's subject on every lookup."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from veil.consent.events import MemorySink
from veil.consent.registry import ConsentRegistry, notice_digest
from veil.consent.store import ConsentStore
from veil.service.people import index_records, records_of, subject_of

PURPOSE = "visitor-count"


class CountingSink(MemorySink):
    """A sink that counts the pseudonyms it computes."""

    def __init__(self) -> None:
        super().__init__()
        self.hashed = 0

    def pseudonym(self, subject_id: str) -> str:
        self.hashed += 1
        return super().pseudonym(subject_id)


@pytest.fixture
def registry(tmp_path: Path) -> ConsentRegistry:
    store = ConsentStore(f"sqlite:///{tmp_path / 'veil.db'}")
    reg = ConsentRegistry(store, CountingSink())
    reg.declare_purpose(PURPOSE, description="count visitors")
    yield reg
    store.close()


def _grant(reg: ConsentRegistry, subject: str) -> str:
    record = reg.grant(
        subject=subject, controller="Example Shop Ltd", purposes=(PURPOSE,),
        notice_version="1", notice_digest=notice_digest(b"notice"),
        collection_method="signed form", valid_for=timedelta(days=30),
    )  # fmt: skip
    return record.record_id


def test_many_records_are_hashed_once_and_each_lookup_is_an_index_lookup(
    registry: ConsentRegistry,
) -> None:
    sink = registry.sink
    assert isinstance(sink, CountingSink)
    n = 1500
    ids = [_grant(registry, f"person-{i}") for i in range(n)]
    again = _grant(registry, "person-7")  # a second record of one person
    p7 = sink.pseudonym("person-7")
    sink.hashed = 0
    assert [r.record_id for r in records_of(registry, p7)] == [ids[7], again]
    assert sink.hashed <= n + 1 + 2  # the first lookup indexes every record once
    sink.hashed = 0
    p42 = sink.pseudonym("person-42")
    assert [r.record_id for r in records_of(registry, p42)] == [ids[42]]
    assert sink.hashed <= 1 + 1  # the lookup's own check only: nothing is re-hashed
    assert records_of(registry, "0" * 64) == []  # nobody: no error, no difference
    assert subject_of(registry, p42) == "person-42"


def test_records_given_after_indexing_are_found(registry: ConsentRegistry) -> None:
    first = _grant(registry, "ada")
    who = registry.sink.pseudonym("ada")
    assert [r.record_id for r in records_of(registry, who)] == [first]
    later = _grant(registry, "ada")
    assert index_records(registry) == 1  # only the new record is indexed
    assert [r.record_id for r in records_of(registry, who)] == [first, later]
    assert index_records(registry) == 0


def test_the_index_holds_no_raw_subject(registry: ConsentRegistry) -> None:
    _grant(registry, "grace-hopper")
    index_records(registry)
    rows = registry.store.query("SELECT * FROM veil_service_record_subjects")
    assert rows and all("grace" not in str(v) for row in rows for v in row)
