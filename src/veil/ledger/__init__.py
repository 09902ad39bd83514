"""The verifiable trace ledger: an RFC 9162 Merkle log of processing events, with C2SP signed
checkpoints, witness cosignatures and offline proofs.

:class:`Ledger` is the one entry point the rest of Veil uses (consent, stream, blur, the CLI):

>>> from veil.ledger import Ledger, Event
>>> with Ledger.open() as ledger:  # doctest: +SKIP
...     who = ledger.pseudonym("customer-42")
...     ledger.append(Event.new(action="collect", controller="Shop", system="gate-1",
...                             data_categories=["image.scene"], purpose="entry",
...                             legal_basis="contract", subject_pseudonym=who))
...     note = ledger.checkpoint()

``Ledger.open()`` uses ``veil.config.default_db_url()`` (a SQLite file under ``$VEIL_HOME``, or
``VEIL_DB``; ``postgresql://`` URLs use PostgreSQL) and the keys under ``$VEIL_HOME/ledger``,
creating both on first use unless ``create=False``.
"""

from __future__ import annotations

from veil.ledger.events import Event, EventError
from veil.ledger.facade import Ledger
from veil.ledger.log import AuditReport, TreeHead
from veil.ledger.status import LedgerStatus
from veil.ledger.stores import DuplicateEventError, StoreCorruptError

__all__ = [
    "AuditReport",
    "DuplicateEventError",
    "Event",
    "EventError",
    "Ledger",
    "LedgerStatus",
    "StoreCorruptError",
    "TreeHead",
]
