"""Events: schema rules, RFC 8785 canonical leaf bytes, pseudonyms."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import make_event
from veil.ledger.events import Event, EventError, is_sensitive, pseudonym, uuid7
from veil.ledger.keys import default_origin
from veil.ledger.note import valid_key_name


@settings(max_examples=400, deadline=None)
@given(
    purpose=st.text(min_size=1, max_size=60),
    controller=st.text(min_size=1, max_size=30),
    count=st.integers(0, (1 << 53) - 1),
)
def test_canonical_bytes_are_rfc8785(purpose: str, controller: str, count: int) -> None:
    try:
        ev = make_event(0, purpose=purpose, controller=controller, counts={"faces_redacted": count})
    except EventError:
        return  # rejected text (control characters, raw identifiers, blank)
    data = ev.model_dump(mode="json", exclude_none=True)
    assert ev.canonical() == rfc8785.dumps(data)
    assert Event.from_canonical(ev.canonical()) == ev


def test_non_canonical_bytes_are_refused() -> None:
    ev = make_event(1)
    pretty = json.dumps(json.loads(ev.canonical()), indent=1).encode()
    with pytest.raises(EventError, match="not canonical"):
        Event.from_canonical(pretty)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"action": "sell"}, "action"),
        ({"data_categories": ["biometric.dna"]}, "unknown data category"),
        ({"data_categories": []}, "data_categories"),
        ({"legal_basis": "consent", "data_categories": ["biometric.facial_image"]}, "separate"),
        ({"action": "transfer"}, "recipient"),
        ({"recipient": "Other Co"}, "only disclose and transfer"),
        ({"action": "consent_withdrawn"}, "consent_ref"),
        ({"purpose": "mail bob@example.com"}, "raw identifier"),
        ({"controller": "id 110101199003077777"}, "raw identifier"),
        ({"subject_pseudonym": "Alice"}, "pseudonym"),
        ({"counts": {"Faces": 1}}, "snake_case"),
        ({"counts": {"faces": -1}}, "non-negative"),
        ({"digests": {"out": "md5:abc"}}, "sha256"),
        ({"separate_consent": True}, "only meaningful"),
    ],
)
def test_invalid_events_are_rejected_with_a_clear_error(change: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(EventError, match=message):
        make_event(0, **change)


def test_ids_times_and_unknown_fields() -> None:
    ev = make_event(0)
    data = json.loads(ev.canonical())
    for bad in [
        {**data, "id": "not-a-uuid"},
        {**data, "id": "123e4567-e89b-42d3-a456-426614174000"},  # v4, not v7
        {**data, "time": "2026-13-01T00:00:00Z"},
        {**data, "time": "yesterday"},
        {**data, "extra": 1},
    ]:
        with pytest.raises(EventError):
            Event.parse(bad)
    with pytest.raises(EventError, match="JSON"):
        Event.parse("{")
    with pytest.raises(EventError, match="object"):
        Event.parse("[]")
    assert uuid7() != uuid7() and uuid7(0).startswith("00000000-0000-7")


def test_sensitive_categories_and_pseudonyms() -> None:
    assert is_sensitive("biometric.facial_template") and not is_sensitive("image.anonymized")
    key = bytes(32)
    assert pseudonym(key, "Ａlice") != pseudonym(key, "alice")
    assert pseudonym(key, "e\u0301") == pseudonym(key, "\u00e9")  # NFC
    with pytest.raises(ValueError):
        pseudonym(b"short", "alice")
    with pytest.raises(EventError):
        pseudonym(key, "   ")


def test_lone_surrogates_are_rejected() -> None:
    with pytest.raises(EventError, match="purpose"):
        make_event(0, purpose="broken \ud800 text")


@pytest.mark.parametrize(
    "text", ['say "hi"', "back\\slash", "line\u2028sep", "del\x7f", "c1\x85", "emoji \U0001f600 é"]
)
def test_escapes_match_rfc8785(text: str) -> None:
    try:
        ev = make_event(0, purpose=text, counts={"b": 2, "a": 1})
    except EventError:
        return
    assert ev.canonical() == rfc8785.dumps(ev.model_dump(mode="json", exclude_none=True))


def test_default_origins_are_valid_key_names_and_event_controllers() -> None:
    # The origin is the default controller of the events a stream or gate appends, so a random
    # origin must never look like a raw identifier (12 hex digits did, about 1 time in 130).
    origins = {default_origin() for _ in range(3000)}
    assert len(origins) == 3000
    for origin in origins:
        assert valid_key_name(origin)
        assert make_event(0, controller=origin).controller == origin
