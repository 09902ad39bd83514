"""Events read from files keep their JSON types (no "1" or true as a count), and the example
event in docs/ledger.md is accepted as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.ledger.ledger_helpers import veil_without_input as veil
from veil.ledger import Ledger
from veil.ledger.events import Event, EventError, uuid7

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def base(**extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "action": "collect",
        "controller": "Example Shop Ltd",
        "system": "gate-1",
        "data_categories": ["image.scene"],
        "purpose": "entrance monitoring",
        "legal_basis": "contract",
        "id": uuid7(),
        "time": "2026-01-02T03:04:05.678Z",
    }
    ev.update(extra)
    return ev


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"counts": {"faces": "1"}}, "counts: count 'faces' must be an integer, not str"),
        ({"counts": {"faces": True}}, "counts: count 'faces' must be an integer, not bool"),
        ({"counts": {"faces": 1.0}}, "counts: count 'faces' must be an integer, not float"),
        ({"counts": [1]}, "counts: Input should be a valid dictionary"),
        ({"separate_consent": 1}, "separate_consent: Input should be a valid boolean"),
        ({"separate_consent": "true"}, "separate_consent: Input should be a valid boolean"),
        ({"v": True}, "v: v must be an integer, not bool"),
        ({"data_categories": "image.scene"}, "data_categories: Input should be a valid list"),
    ],
)
def test_wrong_json_types_are_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError) as err:
        Event.parse(json.dumps(base(**extra)))
    assert str(err.value) == f"invalid event: {message}"


def test_python_api_refuses_booleans_and_text_as_counts() -> None:
    kw: dict[str, Any] = {k: v for k, v in base().items() if k not in ("id", "time")}
    for bad in (True, "3"):
        with pytest.raises(EventError, match="must be an integer"):
            Event.new(**kw, counts={"faces": bad})
    assert Event.new(**kw, counts={"faces": 3}).counts == {"faces": 3}


def test_cli_append_refuses_text_and_boolean_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--db", str(tmp_path / "l.db"), "--keys", str(tmp_path / "keys")]
    assert veil(capsys, "ledger", "init", "--origin", "shop.example/ledger", *where)[0] == 0
    events = tmp_path / "events.jsonl"
    for bad in ('"1"', "true"):
        events.write_text(json.dumps(base(id=uuid7()))[:-1] + f', "counts": {{"n": {bad}}}}}\n')
        code, out, err = veil(capsys, "ledger", "append", events, *where)
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert "line 1: invalid event: counts: count 'n' must be an integer" in err
    with Ledger.open(where[1], Path(where[3]), create=False) as led:
        assert led.head().size == 0


def docs_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Events") :]
    found = re.search(r"```json\n(.*?)```", section, re.S)
    assert found is not None, "docs/ledger.md has no example event"
    return found.group(1)


def test_docs_example_event_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = json.loads(docs_example())
    where = ["--db", str(tmp_path / "l.db"), "--keys", str(tmp_path / "keys")]
    assert veil(capsys, "ledger", "init", "--origin", "shop.example/ledger", *where)[0] == 0
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(example) + "\n")
    code, out, err = veil(capsys, "ledger", "append", events, *where, "--json")
    assert code == 0, err
    [got] = json.loads(out)
    with Ledger.open(where[1], Path(where[3]), create=False) as led:
        index, event = led.find_event(got["id"])
        assert index == 0 and event.subject == led.pseudonym(example["subject_id"])
    assert event.digests == example["digests"] and event.counts == example["counts"]


def test_event_ids_are_exactly_the_canonical_uuidv7_texts() -> None:
    """The fast id check agrees with the uuid module on every kind of near miss."""
    import contextlib
    import uuid

    good = uuid7()
    near = [
        good, good.upper(), good.replace("-", ""), "{" + good + "}", good[:-1], good + "0",
        good[:14] + "4" + good[15:],  # version 4
        good[:19] + "c" + good[20:],  # variant 110 (Microsoft)
        good[:19] + "7" + good[20:],  # variant 0 (NCS)
        str(uuid.uuid4()), "urn:uuid:" + good,
    ]  # fmt: skip
    for text in near:
        parsed = None
        with contextlib.suppress(ValueError):
            parsed = uuid.UUID(text)
        expected = parsed is not None and parsed.version == 7 and str(parsed) == text
        try:
            Event.parse(json.dumps(base(id=text)))
            accepted = True
        except EventError:
            accepted = False
        assert accepted is expected, text
