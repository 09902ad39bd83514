"""The consent operations the CLI runs, called from Python: each returns the records (or purposes,
export, key change) and the JSON and text that ``veil consent`` prints for them."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from veil.consent.grant_request import GrantRequest, record_grant
from veil.consent.master_keys import create_master_key, rotate_master_key
from veil.consent.purpose_views import PurposeSpec, declare_purpose, list_purposes
from veil.consent.record_views import (
    RecordFilter,
    Withdrawal,
    expire_records,
    list_records,
    show_record,
    withdraw_records,
)
from veil.consent.records import ConsentRecord, ConsentState, utcnow
from veil.consent.registry import ConsentError, ConsentRegistry, notice_digest
from veil.consent.subject_export import export_subject
from veil.consent.vault import MasterKey, MasterKeyError
from veil.core.shown import TextTable
from veil.errors import ConfigError, OutputError

from .conftest import ACCESS, PURPOSE, colour_vector

Grant = Callable[..., ConsentRecord]


def test_a_grant_is_the_record_and_its_line(registry: ConsentRegistry) -> None:
    request = GrantRequest("m-7", "Shop", (PURPOSE,), "v1", "app", notice_digest(b"n"), days=10)
    shown = record_grant(registry, request)
    (record,) = shown.items
    assert shown.to_json() == json.loads(record.model_dump_json())
    assert shown.text() == [
        f"consent {record.record_id} recorded; valid until {record.expires_at.isoformat()}"
    ]
    assert registry.get(record.record_id) == record


@pytest.mark.parametrize("args", [{}, {"record_id": "cr_x", "subject": "m"}])
def test_a_withdrawal_without_exactly_one_target_is_refused(args: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="a record id or --subject"):
        Withdrawal(**args)


def test_withdraw_and_expire_report_each_record(registry: ConsentRegistry, grant: Grant) -> None:
    a, b = grant("m1"), grant("m1", purposes=(ACCESS,))
    shown = withdraw_records(registry, Withdrawal(subject="m1", purpose=ACCESS, note="moved"))
    assert [r.record_id for r in shown.items] == [b.record_id]
    assert shown.text() == [f"consent {b.record_id} withdrawn; face templates deleted"]
    data = shown.to_json()
    assert isinstance(data, list) and data[0]["state"] == "withdrawn"
    assert data[0]["history"][-1]["note"] == "moved"
    assert expire_records(registry).text() == ["0 consent(s) expired"]
    assert registry.get(a.record_id).state is ConsentState.GIVEN


def test_expire_shreds_what_is_past_its_expiry(registry: ConsentRegistry, grant: Grant) -> None:
    grant("m1", given_at=utcnow() - timedelta(days=3), expires_at=utcnow() - timedelta(hours=1))
    shown = expire_records(registry)
    assert shown.text() == ["1 consent(s) expired"] and shown.items[0].state.value == "expired"


def test_list_filters_and_tabulates(registry: ConsentRegistry, grant: Grant) -> None:
    a = grant("m1")
    grant("m2", purposes=(ACCESS,))
    registry.withdraw(a.record_id)
    shown = list_records(registry, RecordFilter(state="withdrawn"))
    assert [r.record_id for r in shown.items] == [a.record_id]
    (table,) = shown.text()
    assert isinstance(table, TextTable) and table.title == "1 consent record(s)"
    assert table.columns == ("record", "subject", "purposes", "state", "expires")
    assert table.rows[0][:4] == (a.record_id, "m1", PURPOSE, "withdrawn")
    given = list_records(registry, RecordFilter(purpose=ACCESS)).text()[0]
    assert isinstance(given, TextTable) and given.rows[0][1:4] == ("m2", ACCESS, "valid")
    with pytest.raises(ConfigError, match="unknown state 'gone'"):
        list_records(registry, RecordFilter(state="gone"))


def test_show_is_the_record_as_labelled_rows(registry: ConsentRegistry, grant: Grant) -> None:
    record = grant("m1")
    registry.withdraw(record.record_id, note="asked")
    shown = show_record(registry, record.record_id)
    assert shown.to_json()["state"] == "withdrawn"  # type: ignore[call-overload]
    (table,) = shown.text()
    assert isinstance(table, TextTable) and table.columns == ()
    rows = dict(table.rows[:11])
    assert rows["record"] == record.record_id and rows["subject"] == "m1"
    assert rows["legal basis"] == "separate_consent"
    history = [value for label, value in table.rows if label == "history"]
    assert len(history) == 2 and history[1].endswith("withdrawn asked")
    with pytest.raises(ConsentError, match="no consent record"):
        show_record(registry, "cr_nope")


def test_purposes_are_declared_and_listed_in_lines(registry: ConsentRegistry) -> None:
    shown = declare_purpose(registry, PurposeSpec("door", "the front door", True, "a key"))
    assert shown.text() == ["purpose door declared (access)"]
    assert shown.to_json()["alternative"] == "a key"  # type: ignore[call-overload]
    with pytest.raises(ConfigError, match="already declared"):
        declare_purpose(registry, PurposeSpec("door"))
    assert declare_purpose(registry, PurposeSpec("door", replace=True)).text() == [
        "purpose door declared"
    ]
    lines = list_purposes(registry).text()
    assert lines == [
        f"{ACCESS} (access; alternative: key card or intercom)",
        "door",
        f"{PURPOSE}: greet members by name",
    ]


def test_an_export_is_written_private_or_shown(
    registry: ConsentRegistry, grant: Grant, tmp_path: Path
) -> None:
    grant("m1")
    registry.add_templates("m1", PURPOSE, "test-colour", colour_vector((1, 2, 3)))
    out = tmp_path / "sub" / "m1.json"
    written = export_subject(registry, "m1", out)
    assert json.loads(out.read_text(encoding="utf-8")) == written.to_json()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data
    assert written.text() == [f"exported 1 consent(s), 3 event(s) to {out}"]
    shown = export_subject(registry, "m1").text()
    table, count, *events = shown
    assert isinstance(table, TextTable) and table.title == "subject m1: 1 consent(s)"
    assert count == "1 face template(s); 4 ledger event(s):"
    assert [str(e).split()[1] for e in events] == ["consent_granted", "store", "export", "export"]
    with pytest.raises(OutputError, match="cannot write output"):
        export_subject(registry, "m1", out / "below-a-file.json")


def test_master_keys_are_created_once_and_rotated(
    registry: ConsentRegistry, grant: Grant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEIL_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    made = create_master_key()
    assert made.path == tmp_path / "master.key"
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert made.text() == [f"master key {made.key_id} written to {made.path} (keep a safe copy)"]
    assert MasterKey.from_file(made.path).key_id == made.key_id
    with pytest.raises(MasterKeyError, match="refusing to overwrite"):
        create_master_key()
    assert create_master_key(overwrite=True).key_id != made.key_id
    grant("m1")
    registry.add_templates("m1", PURPOSE, "test-colour", colour_vector((1, 2, 3)))
    new = tmp_path / "new.key"
    fresh = MasterKey.generate()
    fresh.write(new)
    rotated = rotate_master_key(registry, new)
    assert rotated.to_json() == {"key_id": fresh.key_id, "path": None, "rewrapped": 1}
    assert rotated.text() == [f"1 subject key(s) rewrapped under master key {fresh.key_id}"]
    assert registry.vault is not None and registry.vault.master.key_id == fresh.key_id
