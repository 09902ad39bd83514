"""End to end through the CLI: an operator logs and checkpoints with witnesses, a person verifies
their trace offline under an N-of-M policy, a regulator recomputes the root from an export, and
tampering makes `verify` exit 3 naming what is wrong."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ledger.ledger_helpers import event_line, veil
from veil.ledger.merkle import root_from_leaves


@pytest.fixture
def operator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    db = tmp_path / "ledger.db"
    code, out, _ = veil(capsys, "ledger", "init", "--origin", "shop.example/ledger", "--db", db)
    assert code == 0 and out.startswith("shop.example/ledger+")
    (tmp_path / "log.vkey").write_text(out)
    paths = {"db": db, "log": tmp_path / "log.vkey"}
    for i in range(3):
        w = tmp_path / f"w{i}"
        code, out, _ = veil(capsys, "witness", "init", "--name", f"w{i}.example", "--dir", w)
        assert code == 0
        (tmp_path / f"w{i}.vkey").write_text(out)
        assert veil(capsys, "witness", "add-log", tmp_path / "log.vkey", "--dir", w)[0] == 0
        paths[f"w{i}"] = w
        paths[f"w{i}.vkey"] = tmp_path / f"w{i}.vkey"
    lines = "\n".join(event_line(i, "alice" if i % 4 == 0 else "bob") for i in range(10))
    events = tmp_path / "events.jsonl"
    events.write_text(lines + "\n")
    code, out, err = veil(capsys, "ledger", "append", events, "--db", db)
    assert code == 0, err
    assert out.split() == [str(i) for i in range(10)]
    return paths


def test_person_verifies_their_trace_offline_two_of_three(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    code, out, err = veil(
        capsys,
        "ledger",
        "checkpoint",
        "--db",
        db,
        "--witness",
        operator["w0"],
        "--witness",
        operator["w1"],
    )
    assert code == 0, err
    assert out.count("\u2014 ") == 3  # log signature and two cosignatures
    trace = tmp_path / "trace.json"
    code, _, err = veil(capsys, "ledger", "trace", "--subject", "alice", "-o", trace, "--db", db)
    assert code == 0, err
    assert "alice" not in trace.read_text()  # only the pseudonym travels
    wkeys = [a for i in range(3) for a in ("--witness-key", str(operator[f"w{i}.vkey"]))]
    args = ["ledger", "verify-bundle", trace, "--log-key", operator["log"], *wkeys]
    code, out, err = veil(capsys, *args, "--min-witnesses", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [e["index"] for e in result["events"]] == [0, 4, 8]
    assert result["cosigned_by"] == ["w0.example", "w1.example"]
    code, out, err = veil(capsys, *args, "--min-witnesses", "3")
    assert code == 3 and err.startswith("veil: error: ") and "2 of the required 3" in err
    assert err.count("\n") == 1
    # a wrong log key fails too
    other = tmp_path / "other"
    veil(capsys, "ledger", "init", "--db", tmp_path / "o.db", "--keys", other)
    code, _, err = veil(capsys, "ledger", "verify-bundle", trace, "--log-key", other / "log.vkey")
    assert code == 3 and "veil: error:" in err
    # an edited bundle fails, naming the entry
    doc = json.loads(trace.read_text())
    doc["entries"][1]["event"]["purpose"] = "something else"
    trace.write_text(json.dumps(doc))
    code, _, err = veil(capsys, *args[:5], "--min-witnesses", "0")
    assert code == 3 and "entry 1" in err


def test_prove_one_event_and_status(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    code, out, _ = veil(
        capsys, "ledger", "append", "--db", db, "--json", stdin=event_line(42) + "\n"
    )
    assert code == 0
    (entry,) = json.loads(out)
    assert entry["index"] == 10
    bundle = tmp_path / "one.json"
    code, _, err = veil(
        capsys,
        "ledger",
        "prove",
        "--event",
        entry["id"],
        "-o",
        bundle,
        "--db",
        db,
        "--witness",
        operator["w2"],
    )
    assert code == 0, err
    code, out, err = veil(
        capsys,
        "ledger",
        "verify-bundle",
        bundle,
        "--log-key",
        operator["log"],
        "--witness-key",
        operator["w2.vkey"],
    )
    assert code == 0 and "1 event(s) proved" in out and "w2.example" in out, err
    code, out, _ = veil(capsys, "ledger", "status", "--db", db, "--json")
    st = json.loads(out)
    assert (
        st["size"] == 11 and st["origin"] == "shop.example/ledger" and st["latest_cosigners"] == 1
    )
    code, _, err = veil(capsys, "ledger", "prove", "--event", entry["id"], "-o", bundle, "--db", db)
    assert code == 1 and "exists" in err  # never overwrites without --overwrite


def test_regulator_recomputes_the_root_from_the_export(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    leaves, cp = tmp_path / "leaves.jsonl", tmp_path / "cp.txt"
    assert veil(capsys, "ledger", "checkpoint", "--db", db, "-o", cp)[0] == 0
    assert veil(capsys, "ledger", "export", "--db", db, "-o", leaves)[0] == 0
    lines = leaves.read_bytes().split(b"\n")[:-1]
    assert len(lines) == 10
    # an independent RFC 9162 computation over the exported bytes gives the signed root
    import base64

    assert base64.b64encode(root_from_leaves(lines)).decode() == cp.read_text().split("\n")[2]
    code, out, err = veil(
        capsys,
        "ledger",
        "verify",
        "--leaves",
        leaves,
        "--checkpoint",
        cp,
        "--log-key",
        operator["log"],
    )
    assert code == 0 and out.startswith("ok: 10 exported leaves"), err
    leaves.write_bytes(leaves.read_bytes().replace(b"monitoring 3", b"monitoring 7"))
    code, _, err = veil(
        capsys,
        "ledger",
        "verify",
        "--leaves",
        leaves,
        "--checkpoint",
        cp,
        "--log-key",
        operator["log"],
    )
    assert code == 3 and "do not hash to the checkpoint" in err


def test_verify_exits_3_naming_the_edit(
    operator: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    assert veil(capsys, "ledger", "checkpoint", "--db", db)[0] == 0
    code, out, _ = veil(capsys, "ledger", "verify", "--db", db)
    assert code == 0 and out.startswith("ok: 10 leaves")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE veil_ledger_leaves SET data = replace(data, 'monitoring 6', 'monitoring 9') WHERE idx = 6"
        )
    conn.close()
    code, _, err = veil(capsys, "ledger", "verify", "--db", db)
    assert code == 3
    assert "problem: leaf 6: its bytes do not hash to the stored leaf hash" in err
    assert err.strip().splitlines()[-1].startswith("veil: error: the ledger failed verification")
    code, out, _ = veil(capsys, "ledger", "verify", "--db", db, "--json")
    assert code == 3 and not json.loads(out)["ok"]


def test_remote_witness_flow_with_request_and_response_files(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, w = operator["db"], operator["w1"]
    assert veil(capsys, "ledger", "checkpoint", "--db", db)[0] == 0
    req, resp = tmp_path / "req.txt", tmp_path / "resp.txt"
    assert (
        veil(capsys, "ledger", "checkpoint", "--db", db, "--request-from", "0", "-o", req)[0] == 0
    )
    code, out, err = veil(capsys, "witness", "cosign", req, "--dir", w)
    assert code == 0 and out.startswith("\u2014 w1.example "), err
    resp.write_text(out)
    code, out, err = veil(
        capsys,
        "ledger",
        "checkpoint",
        "--db",
        db,
        "--add-cosignatures",
        resp,
        "--witness-key",
        operator["w1.vkey"],
        "--json",
    )
    assert code == 0 and json.loads(out)["cosignatures"] == 1, err
    # a stale request is refused with the spec's 409 and the latest size
    code, out, err = veil(capsys, "witness", "cosign", req, "--dir", w, "--json")
    assert code == 3 and json.loads(out)["status"] == 409 and json.loads(out)["latest_size"] == 10
    # another witness's response is not accepted for w0
    code, _, err = veil(
        capsys,
        "ledger",
        "checkpoint",
        "--db",
        db,
        "--add-cosignatures",
        resp,
        "--witness-key",
        operator["w0.vkey"],
    )
    assert code == 3 and "no cosignature from w0.example" in err
    code, out, _ = veil(capsys, "witness", "show", "--dir", w, "--json")
    assert json.loads(out)["logs"]["shop.example/ledger"]["size"] == 10


def test_bad_input_gives_one_line_errors(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    bad = [
        "not json",
        event_line(1, legal_basis="vibes"),
        event_line(1, subject=None, other="x").replace('"other"', '"subject"'),
        event_line(1, data_categories=["biometric.facial_image"], legal_basis="consent"),
        event_line(1, purpose="call 13800138000 now"),
    ]
    for line in bad:
        code, out, err = veil(
            capsys, "ledger", "append", "--db", db, stdin=event_line(0) + "\n" + line + "\n"
        )
        assert code == 1 and err.startswith("veil: error: line 2:") and err.count("\n") == 1, err
    code, out, _ = veil(capsys, "ledger", "status", "--db", db, "--json")
    assert json.loads(out)["size"] == 10  # nothing of a bad batch was written
    code, _, err = veil(
        capsys, "ledger", "status", "--db", tmp_path / "none.db", "--keys", tmp_path / "nokeys"
    )
    assert code == 2 and "veil ledger init" in err
    code, _, err = veil(capsys, "ledger", "trace", "--db", db)
    assert code == 2 and "exactly one" in err
    code, _, err = veil(
        capsys, "ledger", "verify-bundle", tmp_path / "missing.json", "--log-key", operator["log"]
    )
    assert code == 1 and "cannot read" in err
    code, _, err = veil(capsys, "witness", "cosign", "--dir", operator["w0"], stdin="garbage")
    assert code == 2 and "400 Bad Request" in err


def test_cli_entry_point_runs_as_a_process(tmp_path: Path) -> None:
    env_db = tmp_path / "p.db"
    run = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "ledger", "init", "--db", str(env_db), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["size"] == 0
    help_ = subprocess.run(
        [sys.executable, "-m", "veil.cli.main", "ledger", "verify-bundle", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--min-witnesses" in help_.stdout and "Examples" in help_.stdout


def test_regulator_checks_an_earlier_checkpoint_is_a_prefix(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, log = operator["db"], operator["log"]
    first = tmp_path / "first.txt"
    assert veil(capsys, "ledger", "checkpoint", "--db", db, "-o", first)[0] == 0
    assert veil(capsys, "ledger", "append", "--db", db, stdin=event_line(77) + "\n")[0] == 0
    cp, leaves = tmp_path / "cp.txt", tmp_path / "leaves.jsonl"
    assert veil(capsys, "ledger", "checkpoint", "--db", db, "-o", cp)[0] == 0
    assert veil(capsys, "ledger", "export", "--db", db, "-o", leaves)[0] == 0
    base = ["ledger", "verify", "--leaves", leaves, "--checkpoint", cp, "--log-key", log]
    code, out, err = veil(capsys, *base, "--previous", first, "--json")
    assert code == 0 and json.loads(out)["size"] == 11, err
    # a checkpoint the log key signed over another history (a fork) is caught
    from veil.ledger.keys import default_key_dir, load_keys
    from veil.ledger.note import Checkpoint, sign_checkpoint

    signer = load_keys(default_key_dir()).signer
    forked = tmp_path / "forked.txt"
    forked.write_text(sign_checkpoint(Checkpoint("shop.example/ledger", 5, b"\x09" * 32), signer))
    code, _, err = veil(capsys, *base, "--previous", first, "--previous", forked)
    assert code == 3 and "forked.txt" in err and "not a prefix" in err


def test_cli_on_postgresql(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "pgkeys"
    code, out, err = veil(capsys, "ledger", "init", "--db", pg_url, "--keys", keys)
    assert code == 0 and "+" in out, err
    lines = "".join(event_line(i, "dana") + "\n" for i in range(5))
    code, out, err = veil(capsys, "ledger", "append", "--db", pg_url, "--keys", keys, stdin=lines)
    assert code == 0 and out.split() == ["0", "1", "2", "3", "4"], err
    trace = tmp_path / "t.json"
    args = ["--db", pg_url, "--keys", keys]
    assert veil(capsys, "ledger", "trace", "--subject", "dana", "-o", trace, *args)[0] == 0
    code, out, err = veil(capsys, "ledger", "verify-bundle", trace, "--log-key", keys / "log.vkey")
    assert code == 0 and "5 event(s)" in out, err
    code, out, _ = veil(capsys, "ledger", "verify", *args)
    assert code == 0 and out.startswith("ok: 5 leaves")
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE veil_ledger_leaves SET subject = NULL WHERE idx = 2")
    code, _, err = veil(capsys, "ledger", "verify", *args)
    assert code == 3 and "leaf 2: its subject index does not match" in err


def test_prove_writes_a_bare_tlog_proof_that_verifies(
    operator: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = operator["db"]
    code, out, _ = veil(
        capsys, "ledger", "append", "--db", db, "--json", stdin=event_line(5) + "\n"
    )
    event_id = json.loads(out)[0]["id"]
    proof = tmp_path / "event.tlog-proof"
    assert veil(capsys, "ledger", "prove", "--event", event_id, "--db", db, "-o", proof)[0] == 0
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\nextra ")
    code, out, err = veil(capsys, "ledger", "verify-bundle", proof, "--log-key", operator["log"])
    assert code == 0 and "#10 " in out, err
    proof.write_text(proof.read_text().replace("index 10", "index 9"))
    code, _, err = veil(capsys, "ledger", "verify-bundle", proof, "--log-key", operator["log"])
    assert code == 3 and "entry 0" in err
