"""`veil consent` and `veil gate` through the command line, on the real ledger and SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from veil.consent.store import TABLE_PREFIX, ConsentStore
from veil.media.images import write_image


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    environment["VEIL_HOME"] = str(tmp_path / "home")
    return environment


def veil(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def ok(env: dict[str, str], *args: str | Path) -> object:
    result = veil(env, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_consent_lifecycle(env: dict[str, str], tmp_path: Path) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("We greet members who opt in.")
    refused = veil(env, "consent", "purpose", "add", "access-gate", "--access")
    assert refused.returncode == 2
    assert (
        refused.stderr.startswith("veil: error: ") and "non-biometric alternative" in refused.stderr
    )
    ok(env, "consent", "purpose", "add", "access-gate", "--access", "--alternative", "key card")
    ok(env, "consent", "purpose", "add", "greet")
    assert [p["name"] for p in ok(env, "consent", "purpose", "list")] == ["access-gate", "greet"]  # type: ignore[union-attr]

    grant = ("consent", "grant", "-s", "member-7", "--controller", "Shop", "--notice-version", "v1")
    grant += ("--notice-file", str(notice), "--method", "app")
    record = ok(env, *grant, "-p", "greet", "-p", "access-gate", "--days", "10")
    assert isinstance(record, dict) and record["state"] == "given"
    assert record["purposes"] == ["greet", "access-gate"]
    child = veil(env, *grant, "-p", "greet", "--under-14")
    assert child.returncode == 1 and "under 14" in child.stderr
    ok(env, *grant, "-p", "greet", "--under-14", "--guardian", "parent-3")

    shown = ok(env, "consent", "show", record["record_id"])
    assert shown == record
    listed = ok(env, "consent", "list", "-s", "member-7")
    assert isinstance(listed, list) and len(listed) == 2

    withdrawn = ok(env, "consent", "withdraw", record["record_id"])
    assert isinstance(withdrawn, list) and withdrawn[0]["state"] == "withdrawn"
    again = veil(env, "consent", "withdraw", record["record_id"])
    assert again.returncode == 1 and "already withdrawn" in again.stderr

    out = tmp_path / "export.json"
    export = ok(env, "consent", "export", "-s", "member-7", "-o", out)
    assert json.loads(out.read_text()) == export
    assert isinstance(export, dict) and len(export["records"]) == 2
    actions = [e["action"] for e in export["events"]]
    assert actions == ["consent_granted", "consent_granted", "consent_withdrawn", "export"]
    assert {e["subject"] for e in export["events"]} == {export["pseudonym"]}
    assert "member-7" not in json.dumps(export["events"])


def test_enroll_without_master_key_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    ok(env, "consent", "purpose", "add", "greet")
    digest = "sha256:" + "0" * 64
    ok(env, "consent", "grant", "-s", "m", "--controller", "Shop", "-p", "greet",
       "--notice-version", "v1", "--notice-digest", digest, "--method", "app")  # fmt: skip
    photo = tmp_path / "p.png"
    write_image(photo, np.zeros((64, 64, 3), np.uint8))
    result = veil(env, "consent", "enroll", "-s", "m", "-p", "greet", photo)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("veil: error: no master key")
    assert len(result.stderr.strip().splitlines()) == 1
    store = ConsentStore(f"sqlite:///{tmp_path / 'home' / 'veil.db'}")
    try:
        assert store.query(f"SELECT COUNT(*) FROM {TABLE_PREFIX}templates")[0][0] == 0
    finally:
        store.close()
    gate = veil(env, "gate", photo, "-p", "greet", "-o", tmp_path / "o.png")
    assert gate.returncode == 2 and "no master key" in gate.stderr
    assert not (tmp_path / "o.png").exists()


def test_gate_matches_blur_options_and_redacts_unknown_faces(
    env: dict[str, str], tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    help_gate = veil(env, "gate", "--help").stdout
    help_blur = veil(env, "blur", "--help").stdout
    for flag in ("--thresh", "--mask-scale", "--mode", "--shape", "--detector", "--max-side",
                 "--detect-every", "--hold-frames", "--codec", "--crf", "--keep-audio",
                 "--keep-metadata", "--overwrite", "--json", "--boxes-out", "--threads"):  # fmt: skip
        assert flag in help_blur and flag in help_gate
    assert veil(env, "consent", "init-key").returncode == 0
    ok(env, "consent", "purpose", "add", "greet")
    photo = tmp_path / "astronaut.png"
    write_image(photo, astronaut_bgr)
    summary = ok(env, "gate", photo, "-p", "greet", "-o", tmp_path / "out.png")
    assert isinstance(summary, dict)
    assert summary["totals"]["faces_redacted"] == 1 and summary["totals"]["faces_kept"] == 0
    unknown = veil(env, "gate", photo, "-p", "nope", "-o", tmp_path / "x.png")
    assert unknown.returncode == 2 and "unknown purpose" in unknown.stderr
    ok(env, "consent", "grant", "-s", "eileen", "--controller", "Shop", "-p", "greet",
       "--notice-version", "v1", "--notice-digest", "sha256:" + "1" * 64, "--method", "app")  # fmt: skip
    enrolled = ok(env, "consent", "enroll", "-s", "eileen", "-p", "greet", photo)
    assert isinstance(enrolled, dict) and enrolled["templates"] == 1
    summary = ok(env, "gate", photo, "-p", "greet", "-o", tmp_path / "out.png", "--overwrite")
    assert isinstance(summary, dict) and summary["totals"]["faces_kept"] == 1
    events = ok(env, "consent", "export", "-s", "eileen")["events"]  # type: ignore[index]
    assert [e["action"] for e in events] == ["consent_granted", "store", "identify", "export"]
    ok(env, "consent", "withdraw", "-s", "eileen")
    summary = ok(env, "gate", photo, "-p", "greet", "-o", tmp_path / "out.png", "--overwrite")
    assert isinstance(summary, dict) and summary["totals"]["faces_redacted"] == 1
    # Every gate run is traced: one 'anonymize' event per output, counts and digests only.
    assert isinstance(summary, dict) and len(summary["ledger_indexes"]) == 1
