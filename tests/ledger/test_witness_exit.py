"""One rule for witness refusals, through the CLI's exit status: 409 and 422 are evidence about
the log (exit 3); 400, 403, 404 and a witness that does not answer are configuration (exit 2)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ledger.ledger_helpers import veil_without_input as veil
from veil.ledger.witness import STATUS_TEXT, Witness, WitnessError


class FakeWitness(ThreadingHTTPServer):
    """A tlog-witness over HTTP that refuses with ``status``, or (None) asks a real witness."""

    status: int | None = None
    witness: Witness | None = None


class Handler(BaseHTTPRequestHandler):
    server: FakeWitness

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, text = self.server.status, "refused by the test witness"
        if status is None and self.server.witness is not None:
            try:
                status, text = 200, self.server.witness.add_checkpoint(body)
            except WitnessError as exc:
                status, text = exc.status, str(exc)
        data = text.encode()
        self.send_response(status or 500)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_witness() -> Iterator[FakeWitness]:
    server = FakeWitness(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    args = ["--db", str(tmp_path / "ledger.db"), "--keys", str(tmp_path / "keys")]
    assert veil(capsys, "ledger", "init", "--origin", "shop.example/ledger", *args)[0] == 0
    return args


@pytest.mark.parametrize(("status", "code"), [(400, 2), (403, 2), (404, 2), (409, 3), (422, 3)])
def test_http_refusal_exit_status(
    status: int,
    code: int,
    http_witness: FakeWitness,
    where: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    http_witness.status = status
    url = f"http://127.0.0.1:{http_witness.server_address[1]}"
    got, out, err = veil(capsys, "ledger", "checkpoint", "--witness", url, *where)
    assert got == code, err
    assert out == "" and err.startswith("veil: error: ") and err.count("\n") == 1
    assert f"{status} {STATUS_TEXT[status]}" in err and "not published" in err


def test_unanswered_http_witness_is_configuration(
    http_witness: FakeWitness, where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    http_witness.status = 500
    url = f"http://127.0.0.1:{http_witness.server_address[1]}"
    got, _, err = veil(capsys, "ledger", "checkpoint", "--witness", url, *where)
    assert got == 2 and "HTTP 500" in err, err
    http_witness.server_close()
    got, _, err = veil(capsys, "ledger", "checkpoint", "--witness", url, *where)
    assert got == 2 and err.count("\n") == 1, err


def test_evidence_outranks_configuration_in_a_policy(
    http_witness: FakeWitness, where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http_witness.status = 422
    bad = f"http://127.0.0.1:{http_witness.server_address[1]}"
    lost = Witness.create(tmp_path / "lost", "lost.example")  # never told about the log
    got, _, err = veil(
        capsys, "ledger", "checkpoint", "--witness", bad, "--witness", lost.folder, *where
    )
    assert got == 3 and "404 Not Found" in err and "422 Unprocessable Entity" in err, err


def test_local_witness_refusals_follow_the_same_rule(
    where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lost = Witness.create(tmp_path / "lost", "lost.example")
    got, _, err = veil(capsys, "ledger", "checkpoint", "--witness", lost.folder, *where)
    assert got == 2 and "404 Not Found" in err, err
    req = tmp_path / "req.txt"
    assert veil(capsys, "ledger", "checkpoint", "--request-from", "0", "-o", req, *where)[0] == 0
    got, _, err = veil(capsys, "witness", "cosign", req, "--dir", lost.folder)
    assert got == 2 and "404 Not Found" in err, err
    lost.add_log((tmp_path / "keys" / "log.vkey").read_text())
    assert veil(capsys, "witness", "cosign", req, "--dir", lost.folder)[0] == 0
    stale = req.read_text().replace("old 0\n", "old 5\n", 1)
    req.write_text(stale)
    got, _, err = veil(capsys, "witness", "cosign", req, "--dir", lost.folder)
    assert got == 2 and "400 Bad Request" in err, err  # old size beyond the checkpoint


def test_policy_checkpoint_over_http_is_recorded(
    http_witness: FakeWitness, where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = Witness.create(tmp_path / "w", "w.example")
    w.add_log((tmp_path / "keys" / "log.vkey").read_text())
    http_witness.witness = w
    url = f"http://127.0.0.1:{http_witness.server_address[1]}"
    got, out, err = veil(
        capsys, "ledger", "checkpoint", "--witness", url, "--witness-vkey", w.vkey, *where
    )
    assert got == 0 and "\u2014 w.example" in out, err
    record = json.loads((tmp_path / "keys" / "checkpoint.last").read_text())
    assert record["size"] == 0 and record["id"] == 1
