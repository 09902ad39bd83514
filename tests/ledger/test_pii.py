"""Raw identifiers are refused in every free-text field of an event, however they are written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger.ledger_helpers import make_event
from veil.ledger.events import EventError

FIELDS = ("purpose", "controller", "system", "consent_ref")

REFUSED = [
    "call 138-1234-5678",
    "138 1234 5678",
    "+86 138 1234 5678",
    "13812345678",
    "office (010) 1234-5678",
    "010-12345678",
    "+1 (415) 555-2671",
    "+44 20 7946 0958",
    "id 11010119900307123X",
    "id 110101 19900307 123x",
    "bob at example dot com",
    "bob [at] example [dot] com",
    "bob(at)example.com",
    "bob@example.com",
    "bob＠example.cn",
]

ACCEPTED = [
    "entrance monitoring 2026-12-02",
    "processed 1234 frames in 3h 20m",
    "RTX-4090 gateway, firmware v1.2.3",
    "look at file.txt at 10:00:00",
    "batch 2026-12-02T10:00:00Z to 2026-12-03",
    "12 cameras, 4 doors, 365 days",
]


def event_with(field: str, text: str):  # type: ignore[no-untyped-def]
    if field == "consent_ref":
        return make_event(action="consent_granted", consent_ref=text)
    return make_event(**{field: text})


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", REFUSED)
def test_written_forms_of_identifiers_are_refused(field: str, text: str) -> None:
    with pytest.raises(EventError, match="raw identifier"):
        event_with(field, text)


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_text_is_accepted(text: str) -> None:
    assert make_event(purpose=text).purpose == text


def test_recipient_is_checked_too() -> None:
    with pytest.raises(EventError, match="phone number"):
        make_event(action="disclose", recipient="agent 138 1234 5678")


seps = st.sampled_from(["", " ", "-", "."])
mobile = st.builds(
    lambda prefix, a, s1, b, s2, c: f"{prefix}1{a}{s1}{b}{s2}{c}",
    st.sampled_from(["", "+86 ", "+86-", "0086 ", "+86"]),
    st.integers(30, 99).map(str),
    seps,
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
    seps,
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
)
e164 = st.builds(
    lambda cc, groups, sep: "+" + str(cc) + sep + sep.join(groups),
    st.integers(1, 998),
    st.lists(st.integers(100, 9999).map(str), min_size=2, max_size=3),
    st.sampled_from([" ", "-", "."]),
)
id_card = st.builds(
    lambda body, last, sep: f"{body[:6]}{sep}{body[6:14]}{sep}{body[14:]}{last}",
    st.integers(10**16, 10**17 - 1).map(str),
    st.sampled_from(list("0123456789Xx")),
    st.sampled_from(["", " "]),
)
word = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
at_forms = st.sampled_from([" at ", " [at] ", "(at)", " (AT) ", " {at} ", "<at>"])
dot_forms = st.sampled_from([" dot ", " [dot] ", "(dot)", " (DOT) "])
obfuscated = st.builds(
    lambda user, at, host, dot, tld: f"{user}{at}{host}{dot}{tld}",
    word,
    at_forms,
    word,
    dot_forms,
    word,
)
context = st.sampled_from(["{}", "call {}", "contact: {} now", "{}, ask for the manager"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(mobile, e164, id_card, obfuscated), context, st.sampled_from(FIELDS))
def test_generated_identifiers_are_refused(value: str, template: str, field: str) -> None:
    with pytest.raises(EventError, match="raw identifier"):
        event_with(field, template.format(value))


dates = st.dates().map(lambda d: d.isoformat())
versions = st.lists(st.integers(0, 99).map(str), min_size=2, max_size=3).map(".".join)
models = st.builds(
    lambda p, n: f"{p}-{n}", st.sampled_from(["RTX", "DS", "IPC", "GTX"]), st.integers(1, 99999)
)
durations = st.builds(lambda h, m: f"{h}h {m}m", st.integers(0, 99), st.integers(0, 59))
counts = st.integers(0, 10**9).map(lambda n: f"{n} frames")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(dates, versions, models, durations, counts), min_size=1, max_size=3))
def test_generated_ordinary_text_is_accepted(parts: list[str]) -> None:
    text = "review " + ", ".join(parts)
    assert make_event(purpose=text).purpose == text


def test_clean_texts_are_remembered_and_identifiers_never_are() -> None:
    from veil.ledger import pii

    pii._clean.clear()
    assert pii.raw_identifier_kind("entrance monitoring") is None
    assert "entrance monitoring" in pii._clean  # checked once, then looked up
    for _ in range(2):  # refused every time, and never kept in memory
        assert pii.raw_identifier_kind("mail bob@example.com") == "e-mail address"
    assert not any("@" in t for t in pii._clean)
    for i in range(pii.CLEAN_CACHE_SIZE + 10):
        pii.raw_identifier_kind(f"purpose {i}")
    assert len(pii._clean) <= pii.CLEAN_CACHE_SIZE  # bounded
