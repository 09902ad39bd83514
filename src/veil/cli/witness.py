"""``veil witness``: a C2SP tlog-witness kept in a folder (init, add-log, cosign, show).

The witness cosigns a log's checkpoint only when it is consistent with the last one it cosigned
for that log, so no log can show different histories to different people without the witnesses
holding the proof. HTTP (``/add-checkpoint``) comes with the service; the semantics are the same.
Thin: parse, make one call to :mod:`veil.ledger.witness_admin`, print.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from veil.cli.output import Json, help_text, print_json, read_bytes, show

witness_app = typer.Typer(name="witness", help=help_text("witness"), no_args_is_help=True)

Dir = Annotated[
    Path | None,
    typer.Option("--dir", help="Witness folder (default: $VEIL_HOME/witness).", show_default=False),
]
Name = Annotated[
    str, typer.Option("--name", help="The witness's key name, e.g. witness.example.org.")
]
LogVkey = Annotated[str, typer.Argument(help="The log's vkey (from `veil ledger init`) or a file.")]
Request = Annotated[
    Path | None, typer.Argument(help=help_text("witness-cosign-request"), show_default=False)
]


@witness_app.command("init", help=help_text("witness-init"))
def init_command(name: Name, folder: Dir = None, as_json: Json = False) -> None:
    """Create a witness key and state folder, and print the witness's cosigner vkey."""
    from veil.ledger.witness_admin import init_witness

    show(init_witness(folder, name), as_json)


@witness_app.command("add-log", help=help_text("witness-add-log"))
def add_log_command(vkey: LogVkey, folder: Dir = None, as_json: Json = False) -> None:
    """Trust a log: its verifier key names its origin."""
    from veil.ledger.keys import key_text
    from veil.ledger.witness_admin import trust_log

    show(trust_log(folder, key_text(vkey, "log key")), as_json)


@witness_app.command("cosign", help=help_text("witness-cosign"))
def cosign_command(request: Request = None, folder: Dir = None, as_json: Json = False) -> None:
    """Handle an add-checkpoint request and print the cosignature line(s)."""
    from veil.ledger.witness import WitnessError
    from veil.ledger.witness_admin import cosign_request

    body = read_bytes(request)
    try:
        done = cosign_request(folder, body)
    except WitnessError as exc:
        if as_json:
            print_json(exc.as_dict())
        raise
    if as_json:
        print_json(done.as_dict())
    else:
        sys.stdout.write(done.cosignature)


@witness_app.command("show", help=help_text("witness-show"))
def show_command(folder: Dir = None, as_json: Json = False) -> None:
    """Show the witness's vkey, the logs it trusts and the split-view evidence it holds."""
    from veil.ledger.witness_admin import witness_state

    show(witness_state(folder), as_json)


def register(app: typer.Typer) -> None:
    """Add the ``witness`` command group to the ``veil`` application."""
    app.add_typer(witness_app, name="witness")
