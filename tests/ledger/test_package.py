"""`veil.ledger` hands names on and defines none: the names other packages import from it are
pinned, and each lives in a module of its own."""

from __future__ import annotations

import veil.ledger

PINNED = {
    "AuditReport",
    "DuplicateEventError",
    "Event",
    "EventError",
    "Ledger",
    "LedgerStatus",
    "StoreCorruptError",
    "TreeHead",
}


def test_the_package_hands_on_its_pinned_names() -> None:
    assert set(veil.ledger.__all__) == PINNED
    assert veil.ledger.merkle.EMPTY_ROOT  # `from veil.ledger import merkle` keeps working


def test_every_name_is_defined_in_a_module_not_in_the_package() -> None:
    for name in veil.ledger.__all__:
        module = getattr(veil.ledger, name).__module__
        assert module.startswith("veil.ledger.") and module != "veil.ledger", (name, module)
