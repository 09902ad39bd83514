"""The one corruption error every ledger store raises, whatever the database."""

from __future__ import annotations

from veil.errors import VerificationError


class StoreCorruptError(VerificationError):
    """The ledger's tables cannot be read as written: the database was damaged or edited."""
