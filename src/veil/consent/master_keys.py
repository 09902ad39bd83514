"""The master key that wraps every subject key, as an operator creates and rotates it
(``veil consent init-key``, ``rotate-key``). Both return a :class:`KeyChange`: the key's id (never
the key), where it is, how many subject keys were rewrapped, and the line that reports it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veil.consent.registry import ConsentRegistry
from veil.consent.vault import MasterKey, master_key_path
from veil.core.shown import Block
from veil.errors import ConfigError


@dataclass(frozen=True)
class KeyChange:
    """A master key written (``path``) or made current (``rewrapped`` subject keys)."""

    key_id: str
    path: Path | None = None
    rewrapped: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The key id, its file and the rewrapped count (no secret)."""
        path = None if self.path is None else str(self.path)
        return {"key_id": self.key_id, "path": path, "rewrapped": self.rewrapped}

    def text(self) -> list[Block]:
        """What was done, in one line."""
        if self.rewrapped is not None:
            return [f"{self.rewrapped} subject key(s) rewrapped under master key {self.key_id}"]
        return [f"master key {self.key_id} written to {self.path} (keep a safe copy)"]


def create_master_key(*, overwrite: bool = False) -> KeyChange:
    """A new master key in ``$VEIL_MASTER_KEY_FILE`` or ``$VEIL_HOME/master.key`` (0600);
    ``overwrite`` replaces an existing one (its templates can no longer be opened)."""
    path = master_key_path()
    key = MasterKey.generate()
    key.write(path, overwrite=overwrite)
    return KeyChange(key.key_id, path=path)


def rotate_master_key(registry: ConsentRegistry, new_key_file: Path) -> KeyChange:
    """Rewrap every subject key under the key in ``new_key_file`` (64 hex digits)."""
    new = MasterKey.from_file(new_key_file)
    if registry.vault is None:
        raise ConfigError("rotating the master key needs the template vault")
    return KeyChange(new.key_id, rewrapped=registry.vault.rotate_master(new))
