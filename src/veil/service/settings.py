"""Settings of ``veil serve``: flags > environment (``VEIL_SERVE_*``) > one TOML file ``veil.config``.

The file is ``--config FILE`` or, when that is not given, ``$VEIL_HOME/veil.config`` if it exists.
Its keys are the field names of :class:`ServiceSettings` (``host = "0.0.0.0"``,
``trusted_proxies = ["10.0.0.5"]``). Each field also has an environment variable: its name in
upper case after ``VEIL_SERVE_`` (``VEIL_SERVE_PORT=8443``; lists comma-separated). See
docs/service.md.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from veil.errors import ConfigError

if TYPE_CHECKING:
    from veil.service.db import ServiceDb

P = ParamSpec("P")
R = TypeVar("R")
ENV_PREFIX = "VEIL_SERVE_"
CONFIG_NAME = "veil.config"


class ServiceSettings(BaseModel):
    """Everything ``create_app`` and ``veil serve`` need; no secrets, no default credentials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    db: str | None = None  # None: the embedded SQLite database in ``home``
    home: Path | None = None  # None: $VEIL_HOME (default ~/.veil)
    certfile: Path | None = None
    keyfile: Path | None = None
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-* headers are believed
    max_upload_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    session_ttl_s: int = Field(default=8 * 3600, ge=60)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    witness_home: Path | None = None  # a local witness folder to serve at /witness
    witnesses: tuple[str, ...] = ()  # witness URLs or folders the service checkpoints with
    witness_quorum: int | None = Field(default=None, ge=0)
    witness_interval_s: int = Field(default=60, ge=1)
    witness_keys: tuple[str, ...] = ()  # vkeys of the HTTP witnesses in ``witnesses``

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> ServiceSettings:
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("give both certfile and keyfile, or neither")
        return self

    def veil_home(self) -> Path:
        """The home folder: ``home`` or ``$VEIL_HOME`` (default ``~/.veil``), created 0700."""
        home = self.home or Path(os.environ.get("VEIL_HOME") or Path.home() / ".veil")
        home = home.expanduser()
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return home

    def db_url(self) -> str:
        """The database URL: ``db``, else ``VEIL_DB``, else ``sqlite:///HOME/veil.db``."""
        if self.db:
            return self.db
        if self.home is None and os.environ.get("VEIL_DB"):
            return os.environ["VEIL_DB"]
        return f"sqlite:///{self.veil_home() / 'veil.db'}"

    def key_dir(self) -> Path:
        """The ledger's key folder in the home."""
        return self.veil_home() / "ledger"


_LISTS = {"trusted_proxies", "witnesses", "witness_keys"}


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ServiceSettings.model_fields:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None or raw == "":
            continue
        out[name] = [p.strip() for p in raw.split(",") if p.strip()] if name in _LISTS else raw
    return out


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(ServiceSettings.model_fields))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return data


def load_settings(
    flags: Mapping[str, Any] | None = None,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ServiceSettings:
    """Merge ``flags`` (``None`` values ignored) over the environment over the config file."""
    env = os.environ if env is None else env
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    from_env = _from_env(env)
    path = config
    if path is None:
        home = given.get("home") or from_env.get("home") or env.get("VEIL_HOME")
        candidate = Path(home or Path.home() / ".veil").expanduser() / CONFIG_NAME
        path = candidate if candidate.is_file() else None
    merged: dict[str, Any] = _from_file(Path(path)) if path is not None else {}
    merged.update(from_env)
    merged.update(given)
    try:
        return ServiceSettings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {where}: {msg}") from None


def on_service_db(
    db: str | None,
    config: Path | None,
    operation: Callable[Concatenate[ServiceDb, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``operation(database, *args, **kwargs)`` on the service database: ``db``, else the one
    the settings name (environment, ``config`` or the home's veil.config); closed after."""
    from veil.service.db import ServiceDb

    database = ServiceDb(load_settings({"db": db}, config).db_url())
    try:
        return operation(database, *args, **kwargs)
    finally:
        database.close()
