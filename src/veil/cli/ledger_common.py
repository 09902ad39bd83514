"""The ``veil ledger`` group and the options its commands share (``cli/ledger*.py``,
``cli/protocols.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.output import help_text

ledger_app = typer.Typer(name="ledger", help=help_text("ledger-group"), no_args_is_help=True)

Db = Annotated[str | None, typer.Option("--db", help=help_text("ledger-db"), show_default=False)]
Keys = Annotated[
    Path | None, typer.Option("--keys", help=help_text("ledger-keys"), show_default=False)
]
Witnesses = Annotated[
    list[str] | None,
    typer.Option("--witness", help=help_text("ledger-witness"), show_default=False),
]
