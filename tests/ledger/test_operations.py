"""The ledger's commands as library calls (issue 12): a Python caller (the service) gets from
:mod:`veil.ledger.publish`, ``bundles``, ``event_input`` and ``witness_admin`` exactly what the
CLI prints, and the calls keep the CLI's rules (fail closed, one error line, nothing half-done)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import event_line, make_event, veil
from veil.errors import BadInputError, ConfigError, VerificationError
from veil.ledger import Ledger
from veil.ledger.audit import AuditReport
from veil.ledger.bundles import prove_event, trace_subject, verify_bundle_file
from veil.ledger.event_input import append_lines
from veil.ledger.keys import key_text
from veil.ledger.monitor import monitor_ledger
from veil.ledger.note import parse_vkey, verify_checkpoint
from veil.ledger.publish import CheckpointOptions, export_leaves, publish_checkpoint
from veil.ledger.witness import WitnessError
from veil.ledger.witness_admin import (
    cosign_request,
    init_witness,
    trust_log,
    witness_evidence,
    witness_state,
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A ledger of 6 events (3 about alice) with its keys, and two witnesses trusting it."""
    paths = {"db": tmp_path / "l.db", "keys": tmp_path / "keys"}
    with Ledger.open(str(paths["db"]), paths["keys"], origin="ops.example/log") as led:
        append_lines(led, [event_line(i, "alice" if i % 2 else "bob") for i in range(6)])
        for name in ("wa", "wb"):
            paths[name] = tmp_path / name
            init_witness(paths[name], f"{name}.example")
            trust_log(paths[name], led.vkey)
    yield paths


def _open(site: dict[str, Path]) -> Ledger:
    return Ledger.open(str(site["db"]), site["keys"], create=False)


def _vkey(folder: Path) -> str:
    return witness_state(folder).vkey


def _cli(capsys: pytest.CaptureFixture[str], site: dict[str, Path], *args: str | Path) -> str:
    code, out, err = veil(capsys, *args, "--db", site["db"], "--keys", site["keys"])
    assert code == 0, err
    return out


def test_append_lines_validates_everything_first_and_batches(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "k") as led:
        done = append_lines(led, [event_line(0), "\n", event_line(1), event_line(2)], batch=2)
        assert [i for i, _ in done.entries] == [0, 1, 2] and done.lines() == ["0", "1", "2"]
        assert done.as_list()[1] == {"index": 1, "id": done.entries[1][1]}
        with pytest.raises(BadInputError, match=r"^line 3: not valid JSON"):
            append_lines(led, [event_line(3), event_line(4), "{oops"])
        assert led.head().size == 3  # nothing of the bad batch was written


def test_publish_with_local_witnesses_matches_the_cli(
    site: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with _open(site) as led:
        done = publish_checkpoint(led, CheckpointOptions(witnesses=(str(site["wa"]),)))
        signed = verify_checkpoint(done.note, led.verifier, [parse_vkey(_vkey(site["wa"]))])
        assert done.size == 6 and done.cosignatures == 1 and not done.warnings
        assert set(signed.cosigned_by) == {"wa.example"}
        assert done.as_dict()["id"] == led.latest_checkpoint().id  # type: ignore[union-attr]
    out = json.loads(_cli(capsys, site, "ledger", "checkpoint", "--json"))
    assert out.keys() == done.as_dict().keys() and out["size"] == 6


def test_publish_keeps_a_remote_witness_response(site: dict[str, Path]) -> None:
    with _open(site) as led:
        publish_checkpoint(led, CheckpointOptions())
        response = cosign_request(site["wb"], led.witness_request(0))
        assert response.as_dict()["ok"] and response.lines() == [response.cosignature.strip()]
        options = CheckpointOptions(
            cosignatures=response.cosignature, witness_key=_vkey(site["wb"])
        )
        kept = publish_checkpoint(led, options)
        assert kept.cosignatures == 1 and kept.note.count("\u2014 ") == 2
        wrong = CheckpointOptions(cosignatures=response.cosignature, witness_key=_vkey(site["wa"]))
        with pytest.raises(VerificationError, match=r"no cosignature from wa\.example"):
            publish_checkpoint(led, wrong)


def test_checkpoint_options_refuse_what_cannot_be_combined() -> None:
    with pytest.raises(ConfigError, match="cannot be combined"):
        CheckpointOptions(request_from=0, cosignatures="x", witness_key="k")
    with pytest.raises(ConfigError, match="needs --witness-key"):
        CheckpointOptions(cosignatures="lines")
    assert CheckpointOptions(quorum=0).uses_policy
    assert CheckpointOptions(witnesses=("https://w.example",)).uses_policy
    assert not CheckpointOptions(witnesses=("/srv/w",)).uses_policy


def test_policy_checkpoint_warns_about_a_witness_that_did_not_cosign(
    site: dict[str, Path],
) -> None:
    dead = "http://127.0.0.1:18231"  # nothing listens there (helper B's port range)
    options = CheckpointOptions(witnesses=(str(site["wa"]), dead), quorum=1)
    with _open(site) as led:
        done = publish_checkpoint(led, options)
        assert done.cosignatures == 1 and len(done.warnings) == 1
        assert done.warnings[0].startswith(f"witness {dead}: ")
        with pytest.raises(ConfigError, match="witness policy not met: 0 of 1"):
            publish_checkpoint(led, CheckpointOptions(witnesses=(dead,)))


def test_export_leaves_to_a_file_is_atomic_and_checked(site: dict[str, Path]) -> None:
    out = site["db"].parent / "leaves.jsonl"
    with _open(site) as led:
        with pytest.raises(BadInputError, match="--size 7 is beyond the log's size 6"):
            export_leaves(led, out, size=7)
        assert not out.exists()
        assert export_leaves(led, out, size=4) == 4
        assert len(out.read_bytes().splitlines()) == 4
        with pytest.raises(BadInputError, match="exists"):
            export_leaves(led, out)
        assert export_leaves(led, out, overwrite=True) == 6


def test_prove_and_trace_give_the_bundles_the_cli_writes(
    site: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_key = key_text(str(site["keys"] / "log.vkey"), "--log-key")
    with _open(site) as led:
        index, event = led.entries_for_subject(led.pseudonym("alice"))[0]
        bare = prove_event(led, event.id, [site["wa"]], bare=True)
        assert bare.startswith("c2sp.org/tlog-proof@v1\n")
        by_subject = trace_subject(led, subject="alice")
        assert by_subject == trace_subject(led, pseudonym=led.pseudonym("alice"))
        for wrong in ({}, {"subject": "alice", "pseudonym": "00" * 32}):
            with pytest.raises(ConfigError, match="exactly one"):
                trace_subject(led, **wrong)
    path = tmp_path / "trace.json"
    path.write_text(by_subject)
    result = verify_bundle_file(path, log_key)
    assert [e.index for e in result.entries] == [1, 3, 5] and index == 1
    code, out, _ = veil(capsys, "ledger", "verify-bundle", path, "--log-key", log_key)
    assert code == 0 and out.splitlines() == result.lines()
    code, out, _ = veil(capsys, "ledger", "verify-bundle", path, "--log-key", log_key, "--json")
    assert code == 0 and json.loads(out) == result.as_dict()
    with pytest.raises(BadInputError, match="cannot read"):
        verify_bundle_file(tmp_path / "missing.json", log_key)


def test_status_and_audit_read_as_the_cli_prints_them(
    site: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with _open(site) as led:
        status, report = led.status(), led.verify()
    assert _cli(capsys, site, "ledger", "status").splitlines() == status.lines()
    assert json.loads(_cli(capsys, site, "ledger", "status", "--json")) == status.as_dict()
    assert _cli(capsys, site, "ledger", "verify").strip() == report.summary()
    assert report.summary().startswith("ok: 6 leaves, ") and report.ok


def test_a_failed_audit_names_its_count_and_first_problem() -> None:
    report = AuditReport(size=3)
    for n in range(AuditReport.MAX_LISTED + 2):
        report.problem(f"leaf {n}: bad")
    err = report.error()
    assert isinstance(err, VerificationError) and err.exit_code == 3
    assert str(err) == (
        "the ledger failed verification: 102 problems (2 not listed); first: leaf 0: bad"
    )
    assert report.summary() == str(err)


def test_witness_calls_match_the_cli(
    site: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    state = witness_state(site["wa"])
    code, out, _ = veil(capsys, "witness", "show", "--dir", site["wa"])
    assert code == 0 and out.splitlines() == state.lines()
    code, out, _ = veil(capsys, "witness", "show", "--dir", site["wa"], "--json")
    assert json.loads(out) == state.as_dict()
    assert state.lines()[2] == "log ops.example/log: cosigned size 0 root -"
    assert trust_log(site["wa"], state.logs["ops.example/log"]["vkey"]).lines() == [
        "trusting log ops.example/log"
    ]  # trusting the same key again is a no-op
    with pytest.raises(ConfigError, match="already exists"):
        init_witness(site["wa"], "again.example")
    with pytest.raises(WitnessError) as refused:
        cosign_request(site["wa"], b"garbage")
    assert refused.value.as_dict()["status"] == 400 and not refused.value.as_dict()["ok"]


def test_monitor_reads_witness_evidence_and_prints_its_lines(
    site: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert witness_evidence([site["wa"], site["wb"]]) == []
    with _open(site) as led:
        report = monitor_ledger(led, witness_evidence([site["wa"]]))
        led.append(make_event(99))
    assert not report.ok and report.lines()[-1] == f"6 entries, {len(report.findings)} finding(s)"
    assert str(report.error()) == f"the monitor found {len(report.findings)} policy finding(s)"
    code, out, err = veil(
        capsys, "ledger", "monitor", "--db", site["db"], "--keys", site["keys"], "--json"
    )
    assert code == 3 and json.loads(out)["size"] == 7 and "policy finding" in err


def test_key_text_reads_inline_keys_and_key_files(tmp_path: Path) -> None:
    vkey = init_witness(tmp_path / "w", "keys.example").vkey
    (tmp_path / "w.vkey").write_text(vkey + "\n")
    assert key_text(vkey, "--log-key") == vkey
    assert key_text(str(tmp_path / "w.vkey"), "--log-key") == vkey
    with pytest.raises(ConfigError, match="--log-key 'nope' is neither a key nor a readable"):
        key_text("nope", "--log-key")
