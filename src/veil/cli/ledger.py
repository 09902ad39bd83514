"""``veil ledger``: the verifiable trace ledger (init, append, checkpoint, export, verify, prove,
trace, verify-bundle, status). Thin: parse, call :class:`veil.ledger.Ledger`, print.

The shared options and helpers are in :mod:`veil.cli.ledger_common`; the checking and proving
commands in :mod:`veil.cli.ledger_verify`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from veil.cli import ledger_verify
from veil.cli.ledger_common import (
    Db,
    Json,
    Keys,
    Out,
    Overwrite,
    Witnesses,
    key_text,
    ledger_app,
    open_ledger,
    open_witnesses,
    print_json,
    write_output,
)
from veil.errors import BadInputError, ConfigError
from veil.textsafe import safe_text

if TYPE_CHECKING:
    from veil.ledger.stores import StoredCheckpoint

# -- init ---------------------------------------------------------------------------------------


@ledger_app.command("init")
def init_command(
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help="The log's origin name (URL-like, no spaces or '+'); default: a random "
            "veil.local/ledger/... name.",
            show_default=False,
        ),
    ] = None,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Create the log key, pseudonym key and tables, and print the verifier key (vkey).

    Idempotent: an existing ledger with these keys is reported, never overwritten.

    Examples:

      veil ledger init --origin example.com/shop-ledger

      veil ledger init --db postgresql://veil@db/veil --keys /etc/veil/ledger
    """
    from veil.ledger import Ledger

    with Ledger.open(db, keys, create=True, origin=origin) as led:
        st = led.status()
    if as_json:
        print_json({"origin": st.origin, "vkey": st.vkey, "db": st.db, "size": st.size})
    else:
        typer.echo(st.vkey)


# -- append -------------------------------------------------------------------------------------


def _event_lines(source: Path | None) -> Iterator[tuple[int, str]]:
    if source is None or str(source) == "-":
        yield from enumerate(sys.stdin, start=1)
        return
    try:
        with source.open(encoding="utf-8") as fh:
            yield from enumerate(fh, start=1)
    except OSError as exc:
        raise BadInputError(f"{source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{source}: not UTF-8 text") from None


@ledger_app.command("append")
def append_command(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="JSON lines file of events ('-' or nothing: stdin).", show_default=False
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1_000_000, help="Events per durable transaction.")
    ] = 10_000,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Append processing events given as JSON lines; print each one's leaf index.

    Each line is an event object (see docs/ledger.md). "id" (UUIDv7) and "time" are filled in when
    missing. A raw "subject_id" is replaced by its keyed pseudonym and never stored. Every line is
    validated before anything is written; an invalid line appends nothing.

    Examples:

      veil ledger append events.jsonl

      my-system --events | veil ledger append --json
    """
    from veil.ledger.event_input import parse_event_line

    with open_ledger(db, keys) as led:
        events = []
        for n, line in _event_lines(source):
            if line.strip():
                events.append(parse_event_line(line, led.pseudonym, f"line {n}"))
        indexes: list[int] = []
        for i in range(0, len(events), batch):
            indexes.extend(led.append_many(events[i : i + batch]))
    if as_json:
        print_json([{"index": i, "id": e.id} for i, e in zip(indexes, events, strict=True)])
    else:
        for i in indexes:
            typer.echo(i)


# -- checkpoint ---------------------------------------------------------------------------------


@ledger_app.command("checkpoint")
def checkpoint_command(
    witness: Witnesses = None,
    request_from: Annotated[
        int | None,
        typer.Option(
            "--request-from",
            min=0,
            help="Instead of signing, print a tlog-witness add-checkpoint request for the latest "
            "checkpoint, for a witness that last cosigned this size.",
            show_default=False,
        ),
    ] = None,
    add_cosignatures: Annotated[
        Path | None,
        typer.Option(
            "--add-cosignatures",
            help="Instead of signing, keep the cosignature lines in this file (a witness's "
            "response) for the latest checkpoint; needs --witness-key.",
            show_default=False,
        ),
    ] = None,
    witness_key: Annotated[
        str | None,
        typer.Option("--witness-key", help="The witness vkey (or a file) for --add-cosignatures."),
    ] = None,
    quorum: Annotated[
        int | None, typer.Option("--quorum", min=0, help="Publish only once N witnesses cosign.")
    ] = None,
    witness_vkey: Annotated[
        list[str] | None, typer.Option("--witness-vkey", help="A trusted HTTP witness key.")
    ] = None,
    output: Out = None,
    overwrite: Overwrite = False,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Sign the current tree head as a C2SP checkpoint (signed note) and print it.

    Examples:

      veil ledger checkpoint                                  # sign and print

      veil ledger checkpoint --witness /srv/witness-a --witness /srv/witness-b

      veil ledger checkpoint --request-from 120 -o req.txt    # for a remote witness

      veil ledger checkpoint --add-cosignatures resp.txt --witness-key "$(cat w.vkey)"
    """
    if request_from is not None and add_cosignatures is not None:
        raise ConfigError("--request-from and --add-cosignatures cannot be combined")
    with open_ledger(db, keys) as led:
        if request_from is not None:
            write_output(led.witness_request(request_from), output, overwrite)
            return
        cp: StoredCheckpoint | None
        if add_cosignatures is not None:
            if witness_key is None:
                raise ConfigError("--add-cosignatures needs --witness-key")
            try:
                lines = add_cosignatures.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise BadInputError(f"{add_cosignatures}: cannot read: {exc}") from None
            added = led.add_cosignatures(lines, key_text(witness_key, "--witness-key"))
            note, cp = led.note_with_cosignatures(added), added
        elif quorum is not None or any("://" in w for w in witness or []):
            from veil.cli.protocols import policy_checkpoint

            note, cp = policy_checkpoint(led, witness or [], witness_vkey or [], quorum)
        else:
            note = led.checkpoint(open_witnesses(witness))
            cp = led.latest_checkpoint()
        assert cp is not None
        if as_json:
            print_json(
                {"id": cp.id, "size": cp.size, "cosignatures": len(cp.cosignatures), "note": note}
            )
        else:
            write_output(note, output, overwrite)


# -- export -------------------------------------------------------------------------------------


@ledger_app.command("export")
def export_command(
    output: Out = None,
    overwrite: Overwrite = False,
    size: Annotated[
        int | None,
        typer.Option(
            "--size", min=0, help="Export only the first SIZE leaves (a checkpoint's size)."
        ),
    ] = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write every leaf, in order, as the exact bytes that were hashed.

    One canonical JSON event per line, so anyone can recompute the root with an independent
    RFC 9162 implementation.

    Examples:

      veil ledger export -o leaves.jsonl

      veil ledger export --size 1000 | sha256sum
    """
    with open_ledger(db, keys) as led:
        if size is not None and size > led.head().size:
            raise BadInputError(f"--size {size} is beyond the log's size {led.head().size}")
        if output is None:
            try:
                led.export(sys.stdout.buffer, size=size)
                sys.stdout.buffer.flush()
            except BrokenPipeError:  # `veil ledger export | head`: the reader is done
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        from veil.core.atomic import atomic_output

        with atomic_output(output, overwrite=overwrite) as tmp, tmp.open("wb") as fh:
            n = led.export(fh, size=size)
    typer.echo(f"{n} leaves written to {output}", err=True)


# -- verify, prove, trace, verify-bundle (cli/ledger_verify.py), in this order in the help -------

ledger_app.command("verify")(ledger_verify.verify_command)
ledger_app.command("prove")(ledger_verify.prove_command)
ledger_app.command("trace")(ledger_verify.trace_command)
ledger_app.command("verify-bundle")(ledger_verify.verify_bundle_command)


# -- status -------------------------------------------------------------------------------------


@ledger_app.command("status")
def status_command(db: Db = None, keys: Keys = None, as_json: Json = False) -> None:
    """Show the log's origin, verifier key, size, root and checkpoints.

    Examples:

      veil ledger status --json
    """
    with open_ledger(db, keys) as led:
        st = led.status().as_dict()
    if as_json:
        print_json(st)
        return
    for k, v in st.items():
        typer.echo(f"{k}: {safe_text(v)}")


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` command group to the ``veil`` application."""
    app.add_typer(ledger_app, name="ledger")
