"""``veil ledger verify``, ``prove``, ``trace`` and ``verify-bundle``: checking the ledger and
writing and checking offline proofs. Thin: parse, make one call to :mod:`veil.ledger`, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.ledger_common import Db, Keys, Witnesses
from veil.cli.output import (
    Json,
    Out,
    Overwrite,
    emit,
    help_text,
    print_lines,
    progress,
    show,
    write_output,
)
from veil.cli.parsing import parses
from veil.ledger_options import VerifyOptions

VERIFY_FLAGS = {
    "witness_keys": typer.Option(
        "--witness-key", help="Witness vkey (or file) whose stored cosignatures to check.",
        show_default=False,
    ),
    "leaves": typer.Option("--leaves", help=help_text("ledger-verify-leaves"), show_default=False),
    "checkpoint": typer.Option(
        "--checkpoint", help="Offline: the signed checkpoint the export must match."
    ),
    "log_key": typer.Option("--log-key", help="Offline: the log's vkey (or a file holding it)."),
    "previous": typer.Option(
        "--previous", help=help_text("ledger-verify-previous"), show_default=False
    ),
    "min_witnesses": typer.Option(
        "--min-witnesses", min=0, help="Offline: cosignatures required (default all)."
    ),
}  # fmt: skip
Subject = Annotated[
    str | None,
    typer.Option("--subject", help="The person's identifier (pseudonymized, never stored)."),
]
Pseudonym = Annotated[
    str | None, typer.Option("--pseudonym", help="Or the subject's pseudonym (64 hex).")
]
Bundle = Annotated[Path, typer.Argument(help="A bundle from `veil ledger prove` or `trace`.")]
LogKey = Annotated[str, typer.Option("--log-key", help="The log's vkey, or a file holding it.")]
TrustedWitnessKeys = Annotated[
    list[str] | None,
    typer.Option("--witness-key", help="A trusted witness vkey (or file); repeat for M witnesses."),
]
MinWitnesses = Annotated[
    int | None,
    typer.Option(
        "--min-witnesses",
        min=0,
        help="N of the M witnesses that must have cosigned (default: all of them).",
        show_default=False,
    ),
]


@parses(flags=VERIFY_FLAGS)
def verify_command(
    options: VerifyOptions, db: Db = None, keys: Keys = None, as_json: Json = False
) -> None:
    """Recheck the whole store, or (with --leaves) an export offline; exit 3 naming every problem."""
    from veil.ledger.audit import AuditReport
    from veil.ledger.verifying import verify_ledger

    with progress("verifying leaves", shown=options.leaves is None) as tick:
        report = verify_ledger(options, db, keys, tick)
    if isinstance(report, AuditReport) and not report.ok and not as_json:
        print_lines([f"problem: {p}" for p in report.problems], err=True)
        raise report.error()
    emit(as_json, report.as_dict(), [report.summary()])
    if not report.ok:  # a failed store check, in JSON
        raise typer.Exit(3)


def prove_command(
    event: Annotated[str, typer.Option("--event", help="The event id (UUID).")],
    output: Out = None,
    overwrite: Overwrite = False,
    witness: Witnesses = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write a bundle proving one event is in the log, verifiable offline."""
    from veil.ledger import Ledger
    from veil.ledger.bundles import prove_event

    bare = output is not None and output.suffix == ".tlog-proof"
    with Ledger.open(db, keys, create=False) as led:
        bundle = prove_event(led, event, witness or [], bare=bare)
    write_output(bundle, output, overwrite)


def trace_command(
    subject: Subject = None,
    pseudonym: Pseudonym = None,
    output: Out = None,
    overwrite: Overwrite = False,
    witness: Witnesses = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write a bundle of every event about one person, verifiable offline."""
    from veil.ledger import Ledger
    from veil.ledger.bundles import trace_subject

    with Ledger.open(db, keys, create=False) as led:
        bundle = trace_subject(led, subject=subject, pseudonym=pseudonym, witnesses=witness or [])
        write_output(bundle, output, overwrite)


def verify_bundle_command(
    bundle: Bundle,
    log_key: LogKey,
    witness_key: TrustedWitnessKeys = None,
    min_witnesses: MinWitnesses = None,
    as_json: Json = False,
) -> None:
    """Verify a prove/trace bundle offline, with no database; exit 3 on any failure."""
    from veil.ledger.bundles import verify_bundle_file
    from veil.ledger.keys import key_text, key_texts

    lkey = key_text(log_key, "--log-key")
    wkeys = key_texts(witness_key, "--witness-key")
    show(verify_bundle_file(bundle, lkey, wkeys, min_witnesses), as_json)
