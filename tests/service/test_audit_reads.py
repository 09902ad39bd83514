"""Who looked at my data: an auditor's reads of the log (entries pages, the export, entry
bundles) are ledger events about each person the read covered, and the person's trace shows them;
a reader paging through the log never chases the events its own reads left."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ledger.ledger_helpers import make_event
from tests.service.conftest import bearer, login
from veil.service.tokens import create_person_link, create_token

READER_SYSTEM = "veil-service/auditor"


def _world(app: FastAPI) -> tuple[str, str]:
    """3 events about person A, 2 about B, 1 about no one; a cosigned-free checkpoint."""
    ledger = app.state.veil.ledger()
    a, b = ledger.pseudonym("subject-a"), ledger.pseudonym("subject-b")
    ledger.append_many(make_event(i, subject=s) for i, s in enumerate([a, b, a, None, a, b]))
    return a, b


def _reads(app: FastAPI, subject: str) -> list[dict[str, Any]]:
    """The read events about ``subject``, as their trace shows them."""
    link, _ = create_person_link(app.state.veil.db, subject, 3600)
    trace = bearer(app, link).get("/api/v1/me/trace")
    assert trace.status_code == 200, trace.text
    body = trace.json()
    events = [e["event"] for e in [*body["entries"], *body["pending"]]]
    return [e for e in events if e["system"].startswith("veil-service/")]


def test_an_auditors_entries_page_shows_in_each_persons_trace(app: FastAPI) -> None:
    a, b = _world(app)
    aud = login(app, "reader-x9", "auditor")
    page = aud.get("/api/v1/audit/entries", params={"start": 0, "limit": 5})
    assert page.status_code == 200 and page.json()["size"] == 6
    (read_a,) = _reads(app, a)
    assert read_a["action"] == "use" and read_a["system"] == READER_SYSTEM
    assert read_a["counts"] == {"records": 3, "first_index": 0, "last_index": 4}
    assert read_a["digests"]["reader"].startswith("sha256:") and "reader-x9" not in str(read_a)
    (read_b,) = _reads(app, b)
    assert read_b["counts"]["records"] == 1  # B's second event (index 5) was not on the page
    assert app.state.veil.ledger().head().size == 8  # one event per person read, no more


def test_paging_through_the_log_does_not_chase_its_own_reads(app: FastAPI) -> None:
    _world(app)
    aud = login(app, "reader-x9", "auditor")
    ledger = app.state.veil.ledger()

    def page_through() -> int:
        start: int | None = 0
        pages = 0
        while start is not None:
            page = aud.get("/api/v1/audit/entries", params={"start": start, "limit": 2}).json()
            start, pages = page["next"], pages + 1
            assert pages < 50, "paging never ends"
        return int(ledger.head().size)

    # pages 0-1 (A, B), 2-3 (A), 4-5 (A, B): 5 read events; the pages after them hold only
    # this auditor's own read events and log nothing
    assert page_through() == 6 + 5
    assert page_through() == 6 + 5 + 5
    size = ledger.head().size
    assert aud.get("/api/v1/audit/entries", params={"start": 6, "limit": 10}).status_code == 200
    assert ledger.head().size == size


def test_another_readers_reads_count_as_reads_of_the_person(app: FastAPI) -> None:
    a, _ = _world(app)
    first = login(app, "reader-x9", "auditor")
    second = login(app, "aud2", "auditor")
    assert first.get("/api/v1/audit/entries", params={"limit": 6}).status_code == 200
    ledger = app.state.veil.ledger()
    size = ledger.head().size  # 8: a read event about A and one about B
    assert second.get("/api/v1/audit/entries", params={"start": 6}).status_code == 200
    assert ledger.head().size == size + 2  # aud2 read what aud's reads say about A and B
    assert len(_reads(app, a)) == 2


def test_the_export_is_logged_after_it_is_taken(app: FastAPI) -> None:
    a, b = _world(app)
    aud = login(app, "reader-x9", "auditor")
    buf = io.BytesIO()
    app.state.veil.ledger().export(buf)
    r = aud.get("/api/v1/audit/export")
    assert r.status_code == 200 and r.content == buf.getvalue()  # the read events come after
    (read_a,) = _reads(app, a)
    assert read_a["action"] == "export"
    assert read_a["counts"] == {"records": 3, "first_index": 0, "last_index": 5}
    assert _reads(app, b)[0]["counts"]["records"] == 2


def test_an_entry_bundle_read_is_logged_too(app: FastAPI) -> None:
    a, _ = _world(app)
    app.state.veil.ledger().checkpoint()
    secret, _ = create_token(app.state.veil.db, "auditor", "tiles")
    aud = bearer(app, secret)
    for _ in range(2):  # the second read comes from the cache, and is a read all the same
        assert aud.get("/log/tile/entries/000.p/6").status_code == 200
    reads = _reads(app, a)
    assert len(reads) == 2 and reads[0]["counts"] == {
        "records": 3, "first_index": 0, "last_index": 5
    }  # fmt: skip


def test_a_read_that_cannot_be_logged_is_not_served(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(app)
    aud: TestClient = login(app, "reader-x9", "auditor")
    ledger = app.state.veil.ledger()

    def broken(events: Any) -> list[int]:
        raise OSError("disk full")

    monkeypatch.setattr(ledger, "append_many", broken)
    r = aud.get("/api/v1/audit/entries")
    assert r.status_code >= 500 and b"entrance monitoring" not in r.content
    r = aud.get("/api/v1/audit/export")
    assert r.status_code >= 500 and b"entrance monitoring" not in r.content
