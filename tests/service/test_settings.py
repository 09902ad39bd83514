"""ServiceSettings: flags over VEIL_SERVE_* over veil.config, and refusals of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil.errors import ConfigError
from veil.service.settings import ServiceSettings, load_settings


def test_flags_beat_environment_beat_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "veil.config"
    cfg.write_text('host = "0.0.0.0"\nport = 9000\nmax_upload_bytes = 2048\n', encoding="utf-8")
    env = {"VEIL_SERVE_PORT": "9100", "VEIL_SERVE_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}
    s = load_settings({"port": None}, cfg, env)
    assert (s.host, s.port, s.max_upload_bytes) == ("0.0.0.0", 9100, 2048)
    assert s.trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    assert load_settings({"port": 9200}, cfg, env).port == 9200


def test_the_config_file_in_the_home_is_read_without_a_flag(tmp_path: Path) -> None:
    (tmp_path / "veil.config").write_text("port = 8123\n", encoding="utf-8")
    assert load_settings(env={"VEIL_HOME": str(tmp_path)}).port == 8123
    assert load_settings({"home": tmp_path}, env={}).port == 8123
    assert load_settings(env={"VEIL_HOME": str(tmp_path / "empty")}).port == 8000


@pytest.mark.parametrize(
    ("text", "env"),
    [("colour = 1\n", {}), ("port = [\n", {}), ("", {"VEIL_SERVE_PORT": "eighty"}),
     ("", {"VEIL_SERVE_TRUSTED_PROXIES": "proxy.example"}), ("port = 70000\n", {})],
)  # fmt: skip
def test_bad_settings_are_config_errors(tmp_path: Path, text: str, env: dict[str, str]) -> None:
    cfg = tmp_path / "veil.config"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(config=cfg, env=env)


def test_a_missing_config_file_given_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(config=tmp_path / "nope.config", env={})


def test_the_default_database_is_sqlite_in_the_home(tmp_path: Path) -> None:
    s = ServiceSettings(home=tmp_path / "h")
    assert s.db_url() == f"sqlite:///{tmp_path / 'h' / 'veil.db'}"
    assert (tmp_path / "h").stat().st_mode & 0o777 == 0o700
    assert ServiceSettings(db="postgresql://x/y").db_url() == "postgresql://x/y"
