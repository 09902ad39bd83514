"""``veil ledger``: the verifiable trace ledger (init, append, checkpoint, export, verify, prove,
trace, verify-bundle, status). Thin: parse, make one call to :mod:`veil.ledger`, print.

The group and its shared options are in :mod:`veil.cli.ledger_common`; the checking and proving
commands in :mod:`veil.cli.ledger_verify`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from veil.cli import ledger_verify
from veil.cli.ledger_common import Db, Keys, Witnesses, ledger_app
from veil.cli.output import (
    Json,
    Out,
    Overwrite,
    emit,
    help_text,
    print_json,
    print_lines,
    show,
    text_lines,
    write_output,
)

Origin = Annotated[
    str | None,
    typer.Option("--origin", help=help_text("ledger-origin"), show_default=False),
]
Source = Annotated[
    Path | None,
    typer.Argument(help="JSON lines file of events ('-' or nothing: stdin).", show_default=False),
]
Batch = Annotated[
    int, typer.Option("--batch", min=1, max=1_000_000, help="Events per durable transaction.")
]
RequestFrom = Annotated[
    int | None,
    typer.Option(
        "--request-from", min=0, help=help_text("ledger-request-from"), show_default=False
    ),
]
AddCosignatures = Annotated[
    Path | None,
    typer.Option(
        "--add-cosignatures", help=help_text("ledger-add-cosignatures"), show_default=False
    ),
]
WitnessKey = Annotated[
    str | None,
    typer.Option("--witness-key", help="The witness vkey (or a file) for --add-cosignatures."),
]
Quorum = Annotated[
    int | None, typer.Option("--quorum", min=0, help="Publish only once N witnesses cosign.")
]
WitnessVkeys = Annotated[
    list[str] | None, typer.Option("--witness-vkey", help="A trusted HTTP witness key.")
]
Size = Annotated[
    int | None,
    typer.Option("--size", min=0, help="Export only the first SIZE leaves (a checkpoint's size)."),
]


@ledger_app.command("init", help=help_text("ledger-init"))
def init_command(
    origin: Origin = None, db: Db = None, keys: Keys = None, as_json: Json = False
) -> None:
    """Create the log key, pseudonym key and tables, and print the verifier key (vkey)."""
    from veil.ledger import Ledger

    with Ledger.open(db, keys, create=True, origin=origin) as led:
        st = led.status()
    emit(as_json, st.identity(), [st.vkey])


@ledger_app.command("append", help=help_text("ledger-append"))
def append_command(
    source: Source = None,
    batch: Batch = 10_000,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Append processing events given as JSON lines; print each one's leaf index."""
    from veil.ledger import Ledger
    from veil.ledger.event_input import append_lines

    with Ledger.open(db, keys, create=False) as led:
        done = append_lines(led, text_lines(source), batch)
    emit(as_json, done.as_list(), done.lines())


@ledger_app.command("checkpoint", help=help_text("ledger-checkpoint"))
def checkpoint_command(
    witness: Witnesses = None,
    request_from: RequestFrom = None,
    add_cosignatures: AddCosignatures = None,
    witness_key: WitnessKey = None,
    quorum: Quorum = None,
    witness_vkey: WitnessVkeys = None,
    output: Out = None,
    overwrite: Overwrite = False,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Sign the current tree head as a C2SP checkpoint (signed note) and print it."""
    from veil.ledger import Ledger
    from veil.ledger.publish import CheckpointOptions, publish_checkpoint

    options = CheckpointOptions.from_flags(
        witness, witness_vkey, quorum, add_cosignatures, witness_key, request_from
    )
    with Ledger.open(db, keys, create=False) as led:
        if options.request_from is not None:
            write_output(led.witness_request(options.request_from), output, overwrite)
            return
        done = publish_checkpoint(led, options)
    print_lines([f"warning: {w}" for w in done.warnings], err=True)
    if as_json:
        print_json(done.as_dict())
    else:
        write_output(done.note, output, overwrite)


@ledger_app.command("export", help=help_text("ledger-export"))
def export_command(
    output: Out = None,
    overwrite: Overwrite = False,
    size: Size = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write every leaf, in order, as the exact bytes that were hashed."""
    from veil.ledger import Ledger
    from veil.ledger.publish import export_leaves

    with Ledger.open(db, keys, create=False) as led:
        if output is not None:
            n = export_leaves(led, output, size=size, overwrite=overwrite)
            typer.echo(f"{n} leaves written to {output}", err=True)
            return
        try:
            export_leaves(led, sys.stdout.buffer, size=size)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # `veil ledger export | head`: the reader is done
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


ledger_app.command("verify", help=help_text("ledger-verify"))(ledger_verify.verify_command)
ledger_app.command("prove", help=help_text("ledger-prove"))(ledger_verify.prove_command)
ledger_app.command("trace", help=help_text("ledger-trace"))(ledger_verify.trace_command)
ledger_app.command("verify-bundle", help=help_text("ledger-verify-bundle"))(
    ledger_verify.verify_bundle_command
)


@ledger_app.command("status", help=help_text("ledger-status"))
def status_command(db: Db = None, keys: Keys = None, as_json: Json = False) -> None:
    """Show the log's origin, verifier key, size, root and checkpoints."""
    from veil.ledger import Ledger

    with Ledger.open(db, keys, create=False) as led:
        show(led.status(), as_json)


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` command group to the ``veil`` application."""
    app.add_typer(ledger_app, name="ledger")
