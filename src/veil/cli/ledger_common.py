"""The ``veil ledger`` group and the options its commands share (``cli/ledger*.py``,
``cli/protocols.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ledger_app = typer.Typer(
    name="ledger",
    help=(
        "The verifiable trace ledger: an append-only RFC 9162 Merkle log of every processing of "
        "personal information, with signed C2SP checkpoints, witness cosignatures and offline "
        "proofs that operators, regulators and persons can each verify."
    ),
    no_args_is_help=True,
)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///path.db, a file path, or postgresql://... "
        "(default: $VEIL_DB, else $VEIL_HOME/veil.db).",
        show_default=False,
    ),
]
Keys = Annotated[
    Path | None,
    typer.Option(
        "--keys", help="Ledger key folder (default: $VEIL_HOME/ledger).", show_default=False
    ),
]
Witnesses = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A local witness folder (from `veil witness init`) or an HTTP witness URL that "
        "cosigns the checkpoint; repeat for several.",
        show_default=False,
    ),
]
