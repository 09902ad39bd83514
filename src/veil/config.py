"""Settings shared by every part of Veil: where Veil keeps its files and its database.

Values come from the environment so that the same configuration works from the CLI, from Python
and in the service:

- ``VEIL_HOME``: folder for keys and the default SQLite database (default ``~/.veil``).
- ``VEIL_DB``: database URL: a SQLite path (``sqlite:///path/veil.db`` or a plain path) or a
  PostgreSQL URL (``postgresql://...``). Default: ``$VEIL_HOME/veil.db``.
- ``VEIL_CACHE``: folder for models derived from packaged weights (the ``--precision int8`` CenterFace), see
  :mod:`veil.vision.detectors.quantize` (default ``$XDG_CACHE_HOME/veil`` or ``~/.cache/veil``).
"""

from __future__ import annotations

import os
from pathlib import Path

from veil.errors import ConfigError
from veil.private import private_home


def veil_home() -> Path:
    """Return (and create, mode 0700) Veil's home folder; warn when an existing one is shared."""
    home = Path(os.environ.get("VEIL_HOME") or Path.home() / ".veil").expanduser()
    try:
        return private_home(home)
    except OSError as exc:
        raise ConfigError(f"VEIL_HOME {home}: cannot create the folder ({_reason(exc)})") from None


def _reason(exc: OSError) -> str:
    """``exc``'s message without the repeated path (``Not a directory: '/x/y'`` -> its reason)."""
    return exc.strerror or " ".join(str(exc).split()) or type(exc).__name__


def default_db_url() -> str:
    """Return the database URL from ``VEIL_DB``, else the SQLite file in :func:`veil_home`."""
    url = os.environ.get("VEIL_DB")
    if url:
        return url
    return f"sqlite:///{veil_home() / 'veil.db'}"


def cache_dir() -> Path:
    """Derived models' folder: ``$VEIL_CACHE``, else ``$XDG_CACHE_HOME/veil``, else ``~/.cache/veil``."""
    override = os.environ.get("VEIL_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "veil"
