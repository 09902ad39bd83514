"""Which keys sign which database: opening a ledger binds one key folder to one store.

A key folder signs exactly one tree (its ``log_id``), and a database holds the ledger of exactly
one key; :func:`bind_keys` creates what is missing on first use and refuses every mismatch.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from veil.errors import ConfigError
from veil.ledger.issued import refuse_headless
from veil.ledger.keys import (
    LedgerKeys,
    bind_log_id,
    bound_log_id,
    create_keys,
    default_origin,
    keys_exist,
    load_keys,
)
from veil.ledger.stores import Store


def bind_keys(store: Store, url: str, kd: Path, create: bool, origin: str | None) -> LedgerKeys:
    """The keys in ``kd`` that sign the ledger in ``store``, creating keys and the ledger's
    records when ``create`` allows; :class:`ConfigError` on any mismatch."""
    meta = store.meta()
    refuse_headless(store, meta, url)
    if keys_exist(kd):
        keys = load_keys(kd)
        if origin is not None and origin != keys.signer.name:
            raise ConfigError(
                f"the keys in {kd} belong to the log {keys.signer.name!r}, not {origin!r}"
            )
    elif meta.get("log_vkey"):
        raise ConfigError(
            f"the database holds the ledger {meta.get('origin')!r} but its keys are not in "
            f"{kd}: pass the key folder (--keys)"
        )
    elif not create:
        raise ConfigError(f"no ledger keys in {kd}: run `veil ledger init` first")
    else:
        keys = create_keys(kd, origin or default_origin())
    vkey = keys.signer.verifier().vkey
    if not meta.get("log_vkey"):
        if not create:
            raise ConfigError(f"the database {url} holds no ledger: run `veil ledger init`")
        bound = bound_log_id(kd)
        if bound is not None and bound != meta.get("log_id"):
            raise ConfigError(
                f"the keys in {kd} already sign the ledger {bound} in another database; "
                "signing a second tree with them would show a split view: use a new key "
                "folder (--keys) for a new ledger"
            )
        log_id = bound or secrets.token_hex(16)
        bind_log_id(kd, log_id)
        store.initialize(
            {
                "format": "veil-ledger/v1",
                "origin": keys.signer.name,
                "log_vkey": vkey,
                "pseudonym_key_id": keys.pseudonym_key_id,
                "log_id": log_id,
            }
        )
        meta = store.meta()
    if meta.get("log_vkey") != vkey:
        raise ConfigError(
            f"the database holds the ledger {meta.get('origin')!r} signed by another key "
            f"than the one in {kd}: pass its key folder (--keys)"
        )
    if meta.get("pseudonym_key_id") != keys.pseudonym_key_id:
        raise ConfigError(f"the pseudonym key in {kd} is not the one this ledger was created with")
    return keys
