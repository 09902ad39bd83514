"""What the log remembers outside its database, so that deleting rows is seen as damage.

- A store that holds a tree (a head row, leaves or checkpoints) but no metadata row lost its
  ``veil_ledger_meta`` table: :func:`refuse_headless` calls that damage instead of "no ledger".
- ``checkpoint.last`` beside the signing keys records the last checkpoint these keys signed
  (id, size, root), written atomically with mode 0600 after the checkpoint is stored.
  :func:`issued_problems` fails verification when the store no longer holds it, so emptying
  the checkpoint and cosignature tables cannot pass as a ledger that never signed anything.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from veil.core.atomic import write_file_atomic
from veil.errors import ConfigError, VerificationError
from veil.ledger.stores import Store, StoredCheckpoint

RECORD_NAME = "checkpoint.last"


def refuse_headless(store: Store, meta: dict[str, str], url: str) -> None:
    """Raise :class:`VerificationError` when the store holds a tree but no ledger metadata."""
    if meta.get("log_vkey"):
        return
    try:
        size, _ = store.head()
        has_head = True
    except ConfigError:
        size, has_head = 0, False
    if has_head or store.get_leaf(0) is not None or store.get_checkpoint(None) is not None:
        raise VerificationError(
            f"the database {url} holds a ledger tree ({size} leaves) but no ledger metadata "
            "(veil_ledger_meta was deleted or damaged): restore the database from a backup"
        )


def record_issued(key_dir: Path, cp: StoredCheckpoint) -> StoredCheckpoint:
    """Remember ``cp`` as the last checkpoint the keys in ``key_dir`` signed; return it."""
    text = json.dumps(
        {"id": cp.id, "size": cp.size, "root": base64.b64encode(cp.root).decode("ascii")}
    )
    try:
        write_file_atomic(key_dir / RECORD_NAME, text + "\n", 0o600)
    except OSError as exc:
        raise ConfigError(
            f"checkpoint {cp.id} is stored but {key_dir / RECORD_NAME} cannot be written: "
            f"{exc.strerror or exc}"
        ) from None
    return cp


def issued_problems(key_dir: Path, store: Store) -> list[str]:
    """Problems when the store lost (or changed) the last checkpoint these keys signed."""
    path = key_dir / RECORD_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []  # these keys never signed a checkpoint (or predate the record)
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot read the record of the last signed checkpoint: {exc}"]
    try:
        data = json.loads(raw)
        cid, size = data["id"], data["size"]
        root = base64.b64decode(data["root"], validate=True)
        if type(cid) is not int or type(size) is not int:
            raise TypeError("id and size must be integers")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return [f"{path}: the record of the last signed checkpoint is damaged ({exc})"]
    cp = store.get_checkpoint(cid)
    if cp is None:
        total = len(store.checkpoints())
        return [
            f"checkpoint {cid} (size {size}), the last one this log signed, is missing from the "
            f"store ({total} checkpoints left): checkpoints were deleted"
        ]
    if (cp.size, cp.root) != (size, root):
        return [
            f"checkpoint {cid}: the store holds size {cp.size} where the log signed size {size} "
            "with another root: the checkpoint was replaced"
        ]
    return []
