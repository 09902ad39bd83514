"""A real ``veil serve`` app (uvicorn in a thread) on the demo office, for the page journeys:
the deployment registered, accounts with one-time passwords, person links, and a helper that
runs the witnessing schedule's job (sign a checkpoint and have the witness cosign it), and the
console's sign-in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from veil.ledger.witness import Witness
from veil.service import create_app
from veil.service.demo_serve import SITE, DemoWorld, prepare_demo
from veil.service.tokens import create_person_link


@dataclass
class Live:
    """The running service and its demo world."""

    base_url: str
    app: FastAPI
    world: DemoWorld

    @property
    def notice_url(self) -> str:
        return f"{self.base_url}/notice/{SITE}"

    def link(self, subject_index: int) -> str:
        """A new person link for the demo's ``subject_index``-th visitor."""
        ledger = self.app.state.veil.ledger()
        pseudonym = ledger.pseudonym(self.world.seed.subjects[subject_index])
        secret, _ = create_person_link(self.app.state.veil.db, pseudonym, 3600)
        return f"{self.base_url}/me/{secret}"

    def sign_in(self, page: Any, role: str) -> None:
        """Sign ``page`` in on the console's sign-in form as the demo's ``role`` (the pages are then
        in English, whatever the browser's language, until the switch changes it)."""
        cred = self.world.credential(role)
        page.goto(self.base_url + "/console/login?lang=en")
        page.get_by_label("Account name").fill(cred.name)
        page.get_by_label("Password").fill(cred.secret)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()

    def cosign(self) -> None:
        """Checkpoint the log with the demo witness's cosignature (what the schedule does)."""
        self.app.state.veil.ledger().checkpoint([Witness.open(self.world.seed.witness_dir)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """The demo office served on a free local port, stopped after the test."""
    monkeypatch.delenv("VEIL_MASTER_KEY", raising=False)
    monkeypatch.delenv("VEIL_MASTER_KEY_FILE", raising=False)
    world = prepare_demo(tmp_path / "home", events=30, enroll_sample=False)
    app = create_app(world.settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    try:
        yield Live(f"http://127.0.0.1:{port}", app, world)
    finally:
        server.should_exit = True
        thread.join(10)
