"""The offline export check and the JSON-lines event input, called from Python (no CLI)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import make_event
from veil.errors import BadInputError, ConfigError, VerificationError
from veil.ledger import Ledger
from veil.ledger.audit import AuditReport
from veil.ledger.event_input import parse_event_line
from veil.ledger.export_check import ExportCheck, verify_export, verify_export_files
from veil.ledger.note import Checkpoint, sign_checkpoint
from veil.ledger.verifying import verify_ledger
from veil.ledger.witness import Witness
from veil.ledger_options import VerifyOptions


@pytest.fixture
def led(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(
        f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "keys", origin="t.example/log"
    ) as ledger:
        ledger.append_many([make_event(i) for i in range(7)])
        yield ledger


def _export(led: Ledger) -> list[bytes]:
    buf = io.BytesIO()
    led.export(buf)
    return buf.getvalue().splitlines(keepends=True)


def test_a_faithful_export_passes_with_its_facts(led: Ledger, tmp_path: Path) -> None:
    note = led.checkpoint()
    vkey = led.status().vkey
    result = verify_export(_export(led), note, vkey)
    assert result == ExportCheck(7, "t.example/log", ())
    assert result.as_dict() == {"ok": True, "size": 7, "origin": "t.example/log", "cosigned_by": []}
    # the file form gives the same answer
    (tmp_path / "leaves.jsonl").write_bytes(b"".join(_export(led)))
    (tmp_path / "cp.txt").write_text(note)
    assert verify_export_files(tmp_path / "leaves.jsonl", tmp_path / "cp.txt", vkey) == result
    # and so does the one call behind `veil ledger verify --leaves`, the key given as a file
    (tmp_path / "log.vkey").write_text(vkey)
    offline = VerifyOptions(
        leaves=tmp_path / "leaves.jsonl", checkpoint=tmp_path / "cp.txt",
        log_key=str(tmp_path / "log.vkey"),
    )  # fmt: skip
    assert verify_ledger(offline) == result


def test_verify_ledger_checks_the_store_or_refuses_an_incomplete_offline_check(
    led: Ledger, tmp_path: Path
) -> None:
    led.checkpoint()
    store = verify_ledger(VerifyOptions(), f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "keys")
    assert isinstance(store, AuditReport) and store.ok and store.size == 7
    with pytest.raises(ConfigError, match="--leaves needs --checkpoint and --log-key"):
        verify_ledger(VerifyOptions(leaves=tmp_path / "leaves.jsonl"))


def test_edited_missing_or_unterminated_leaves_fail(led: Ledger) -> None:
    note, vkey = led.checkpoint(), led.status().vkey
    lines = _export(led)
    edited = [*lines[:3], lines[3].replace(b"entrance", b"exit"), *lines[4:]]
    with pytest.raises(VerificationError, match=r"do not hash to the checkpoint's root"):
        verify_export(edited, note, vkey)
    with pytest.raises(VerificationError, match=r"holds 6 leaves but the checkpoint is for 7"):
        verify_export(lines[:-1], note, vkey)
    with pytest.raises(BadInputError, match=r"leaves.jsonl: the last line is not terminated"):
        verify_export([*lines[:-1], lines[-1][:-1]], note, vkey, leaves_name="leaves.jsonl")


def test_a_checkpoint_from_another_key_fails(led: Ledger, tmp_path: Path) -> None:
    note = led.checkpoint()
    with (
        Ledger.open(
            f"sqlite:///{tmp_path / 'o.db'}", tmp_path / "k2", origin="t.example/log"
        ) as other,
        pytest.raises(VerificationError, match=r"^checkpoint: "),
    ):
        verify_export(_export(led), note, other.status().vkey)


def test_earlier_checkpoints_must_be_prefixes(led: Ledger, tmp_path: Path) -> None:
    first = led.checkpoint()
    led.append_many([make_event(100)])
    note, vkey = led.checkpoint(), led.status().vkey
    assert verify_export(_export(led), note, vkey, previous=[("first", first)]).size == 8
    from veil.ledger.keys import load_keys

    signer = load_keys(tmp_path / "keys").signer
    forked = sign_checkpoint(Checkpoint("t.example/log", 5, b"\x09" * 32), signer)
    with pytest.raises(VerificationError, match=r"^forked: .*not a prefix of this log"):
        verify_export(_export(led), note, vkey, previous=[("first", first), ("forked", forked)])


def test_the_witness_policy_is_applied(led: Ledger, tmp_path: Path) -> None:
    vkey = led.status().vkey
    w = Witness.create(tmp_path / "w", "witness.example")
    w.add_log(vkey)
    note = led.checkpoint([w])
    assert verify_export(_export(led), note, vkey, [w.vkey]).cosigned_by == ("witness.example",)
    with pytest.raises(VerificationError, match=r"asks for 2 cosignatures"):
        verify_export(_export(led), note, vkey, [w.vkey], min_witnesses=2)
    bare = led.checkpoint()  # signed by the log, cosigned by nobody
    with pytest.raises(VerificationError, match=r"witness policy not met"):
        verify_export(_export(led), bare, vkey, [w.vkey])


def test_event_lines_are_completed_and_pseudonymized() -> None:
    line = json.dumps(
        {**make_event(1).model_dump(mode="json", exclude_none=True), "subject_id": "dana"}
    )
    line = json.dumps({k: v for k, v in json.loads(line).items() if k not in ("id", "time")})
    event = parse_event_line(line, lambda raw: "ab" * 32 if raw == "dana" else "?", "line 1")
    assert event.subject == "ab" * 32 and "dana" not in event.model_dump_json()
    assert event.id and event.time.endswith("Z")
    with pytest.raises(BadInputError, match=r"^line 2: not valid JSON"):
        parse_event_line("{", str, "line 2")
    with pytest.raises(BadInputError, match=r"^line 3: an event must be a JSON object"):
        parse_event_line("[1]", str, "line 3")
    both = json.dumps({"subject_id": "dana", "subject": "ab" * 32})
    with pytest.raises(BadInputError, match=r"not both"):
        parse_event_line(both, str, "line 4")
