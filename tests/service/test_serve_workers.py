"""``veil serve --workers N``: uvicorn worker processes sharing the port, each building its app
from the same settings (passed through the environment; settings hold no secrets)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from veil.cli.main import main
from veil.service import ServiceSettings, app
from veil.service.settings import load_settings


def test_workers_reach_uvicorn_with_an_app_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: ran.append({"target": target, **kw}))
    monkeypatch.setenv(app.SETTINGS_ENV, "")  # serve() sets it; undone after the test
    home = tmp_path / "home"
    try:
        main(["serve", "--workers", "3", "--port", "9002", "--db", f"sqlite:///{home / 'x.db'}"])
    except SystemExit as exc:
        assert not exc.code
    (call,) = ran
    assert call["workers"] == 3 and call["factory"] is True and call["port"] == 9002
    assert call["target"] == "veil.service.app:app_from_environment"
    assert call["access_log"] is False and call["server_header"] is False
    passed = ServiceSettings.model_validate_json(os.environ[app.SETTINGS_ENV])
    assert passed.port == 9002 and passed.db == f"sqlite:///{home / 'x.db'}"


def test_a_worker_builds_its_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings({"home": tmp_path / "home", "port": 9003}, env={})
    monkeypatch.setenv(app.SETTINGS_ENV, settings.model_dump_json())
    built = app.app_from_environment()
    try:
        assert built.state.veil.settings == settings
    finally:
        built.state.veil.close()


def test_one_worker_runs_the_app_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ran: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: ran.append({"target": target, **kw}))
    app.serve(ServiceSettings(home=tmp_path / "home"))
    (call,) = ran
    assert call["workers"] is None and call["factory"] is False
    assert call["target"].state.veil is not None
    call["target"].state.veil.close()
