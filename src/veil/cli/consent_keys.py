"""``veil consent init-key`` and ``rotate-key``: the master key that wraps every subject key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.consent_common import Db


def init_key(
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key file (templates are lost).")
    ] = False,
) -> None:
    """Create the master key file ($VEIL_MASTER_KEY_FILE or $VEIL_HOME/master.key)."""
    from veil.consent.vault import MasterKey, master_key_path

    path = master_key_path()
    key = MasterKey.generate()
    key.write(path, overwrite=force)
    print(f"master key {key.key_id} written to {path} (keep a safe copy)")


def rotate_key(
    new_key_file: Annotated[
        Path, typer.Argument(help="File holding the new master key (64 hex digits).")
    ],
    db: Db = None,
) -> None:
    """Rewrap every subject key under a new master key (then make it the configured key)."""
    from veil.consent.session import open_registry
    from veil.consent.vault import MasterKey

    new = MasterKey.from_file(new_key_file)
    with open_registry(db) as registry:
        assert registry.vault is not None
        count = registry.vault.rotate_master(new)
    print(f"{count} subject key(s) rewrapped under master key {new.key_id}")
