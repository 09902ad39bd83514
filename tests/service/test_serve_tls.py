"""A real ``veil serve`` process with TLS: it answers over HTTPS with Secure cookies and headers."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

PASSWORD = "a very long password"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(120)
def test_veil_serve_over_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    env = {**os.environ, "VEIL_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    veil = [sys.executable, "-m", "veil.cli.main", "serve"]
    add = subprocess.run([*veil, "user", "add", "ada", "--role", "admin", "--password-stdin"],
                         input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert add.returncode == 0, add.stderr
    port = _free_port()
    server = subprocess.Popen(
        [*veil, "--port", str(port), "--certfile", str(cert), "--keyfile", str(key)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"https://127.0.0.1:{port}"
        with httpx.Client(base_url=base, verify=False, timeout=5) as c:
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = c.get("/healthz")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, server.stdout.read() if server.stdout else ""
                    assert time.monotonic() < deadline, "veil serve did not start"
                    time.sleep(0.2)
            assert health.json() == {"status": "ok"} and "server" not in health.headers
            assert health.headers["strict-transport-security"].startswith("max-age=")
            r = c.post("/api/v1/auth/login", json={"name": "ada", "password": PASSWORD})
            assert r.status_code == 200
            cookie = next(
                h for h in r.headers.get_list("set-cookie") if h.startswith("veil_session")
            )
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    finally:
        server.terminate()
        server.wait(timeout=30)
