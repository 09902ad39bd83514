"""File digests as Veil writes them in ledger events and manifests: ``sha256:<hex>``."""

from __future__ import annotations

import hashlib
from pathlib import Path

PREFIX = "sha256:"


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """``sha256:<hex>`` of a file's bytes, read ``chunk`` bytes at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return f"{PREFIX}{digest.hexdigest()}"
