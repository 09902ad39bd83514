"""``veil ledger verify``, ``prove``, ``trace`` and ``verify-bundle``: checking the ledger and
writing and checking offline proofs. Thin: parse, call :mod:`veil.ledger`, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.ledger_common import (
    Db,
    Json,
    Keys,
    Out,
    Overwrite,
    Witnesses,
    key_text,
    open_ledger,
    open_witnesses,
    print_json,
    progress,
    write_output,
)
from veil.errors import BadInputError, ConfigError, VerificationError
from veil.textsafe import safe_text


def verify_command(
    witness_key: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key", help="Witness vkey (or file) whose stored cosignatures to check."
        ),
    ] = None,
    leaves: Annotated[
        Path | None,
        typer.Option(
            "--leaves",
            help="Offline: check an export (from `veil ledger export`) against --checkpoint "
            "and --log-key, with no database.",
            show_default=False,
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Offline: the signed checkpoint the export must match."),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option("--log-key", help="Offline: the log's vkey (or a file holding it)."),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous",
            help="Offline: an earlier checkpoint the export must extend (repeatable).",
            show_default=False,
        ),
    ] = None,
    min_witnesses: Annotated[
        int | None,
        typer.Option(
            "--min-witnesses", min=0, help="Offline: cosignatures required (default all)."
        ),
    ] = None,
    db: Db = None,
    keys: Keys = None,
    as_json: Json = False,
) -> None:
    """Recheck the whole store, or (with --leaves) an export offline; exit 3 naming every problem.

    The store check recomputes every leaf hash and every tree node, checks the index columns
    against the events, the tree head against the nodes, and every checkpoint ever signed (and
    every stored cosignature) against the current tree.

    Examples:

      veil ledger verify

      veil ledger verify --db postgresql://veil@db/veil --witness-key w.vkey --json

      veil ledger verify --leaves leaves.jsonl --checkpoint cp.txt --log-key log.vkey \\
          --previous last-audit-cp.txt
    """
    if leaves is not None:
        if checkpoint is None or log_key is None:
            raise ConfigError("--leaves needs --checkpoint and --log-key")
        from veil.ledger.export_check import verify_export_files

        result = verify_export_files(
            leaves,
            checkpoint,
            key_text(log_key, "--log-key"),
            [key_text(k, "--witness-key") for k in witness_key or []],
            min_witnesses,
            previous or [],
        )
        if as_json:
            print_json(result.as_dict())
        else:
            typer.echo(f"ok: {result.size} exported leaves match the checkpoint of {result.origin}")
        return
    with open_ledger(db, keys) as led, progress("verifying leaves") as tick:
        report = led.verify([key_text(k, "--witness-key") for k in witness_key or []], tick)
    if as_json:
        print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(3)
        return
    if report.ok:
        typer.echo(
            f"ok: {report.size} leaves, {report.nodes_checked} tree nodes and "
            f"{report.checkpoints_checked} checkpoints verified"
        )
        return
    for text in report.problems:
        typer.echo(f"problem: {safe_text(text)}", err=True)
    more = report.problem_count - len(report.problems)
    raise VerificationError(
        f"the ledger failed verification: {report.problem_count} problems"
        + (f" ({more} not listed)" if more else "")
        + f"; first: {report.problems[0]}"
    )


# -- prove, trace -------------------------------------------------------------------------------


def prove_command(
    event: Annotated[str, typer.Option("--event", help="The event id (UUID).")],
    output: Out = None,
    overwrite: Overwrite = False,
    witness: Witnesses = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write a bundle proving one event is in the log, verifiable offline.

    The bundle holds the event, its inclusion proof and a signed checkpoint with its
    cosignatures (a c2sp.org/tlog-proof). A new checkpoint is signed when the latest one does
    not cover the event.

    Examples:

      veil ledger prove --event 0190f5c2-... -o bundle.json

      veil ledger prove --event 0190f5c2-... --witness /srv/witness-a -o bundle.json

      veil ledger prove --event 0190f5c2-... -o event.tlog-proof   # bare c2sp.org/tlog-proof
    """
    with open_ledger(db, keys) as led:
        bundle = led.prove(event, open_witnesses(witness))
    if output is not None and output.suffix == ".tlog-proof":
        from veil.ledger.proofs import bare_tlog_proof

        bundle = bare_tlog_proof(bundle)
    write_output(bundle, output, overwrite)


def trace_command(
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="The person's identifier (pseudonymized, never stored)."),
    ] = None,
    pseudonym: Annotated[
        str | None, typer.Option("--pseudonym", help="Or the subject's pseudonym (64 hex).")
    ] = None,
    output: Out = None,
    overwrite: Overwrite = False,
    witness: Witnesses = None,
    db: Db = None,
    keys: Keys = None,
) -> None:
    """Write a bundle of every event about one person, verifiable offline.

    Each event comes with its inclusion proof under one signed, cosigned checkpoint; the person
    checks it with `veil ledger verify-bundle`. Only the pseudonym appears in the file.

    Examples:

      veil ledger trace --subject customer-42 -o trace.json

      veil ledger trace --pseudonym 3f9a...e1 --witness /srv/witness-a -o trace.json
    """
    if (subject is None) == (pseudonym is None):
        raise ConfigError("give exactly one of --subject and --pseudonym")
    with open_ledger(db, keys) as led:
        who = led.pseudonym(subject) if subject is not None else str(pseudonym)
        write_output(led.trace(who, open_witnesses(witness)), output, overwrite)


# -- verify-bundle ------------------------------------------------------------------------------


def verify_bundle_command(
    bundle: Annotated[Path, typer.Argument(help="A bundle from `veil ledger prove` or `trace`.")],
    log_key: Annotated[
        str, typer.Option("--log-key", help="The log's vkey, or a file holding it.")
    ],
    witness_key: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key", help="A trusted witness vkey (or file); repeat for M witnesses."
        ),
    ] = None,
    min_witnesses: Annotated[
        int | None,
        typer.Option(
            "--min-witnesses",
            min=0,
            help="N of the M witnesses that must have cosigned (default: all of them).",
            show_default=False,
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Verify a prove/trace bundle offline, with no database; exit 3 on any failure.

    Checks the log's signature on the checkpoint, the N-of-M witness cosignatures, and every
    event's inclusion proof, then lists the events.

    Examples:

      veil ledger verify-bundle trace.json --log-key log.vkey

      veil ledger verify-bundle trace.json --log-key log.vkey --witness-key a.vkey \\
          --witness-key b.vkey --witness-key c.vkey --min-witnesses 2
    """
    from veil.ledger.note import parse_vkey
    from veil.ledger.proofs import verify_bundle

    try:
        data = bundle.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{bundle}: cannot read: {exc.strerror or exc}") from None
    lkey = parse_vkey(key_text(log_key, "--log-key"))
    wkeys = [parse_vkey(key_text(k, "--witness-key")) for k in witness_key or []]
    result = verify_bundle(data, lkey, wkeys, min_witnesses)
    cp = result.checkpoint
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(
        f"ok: {len(result.entries)} event(s) proved in {cp.origin} at tree size {cp.size}, "
        f"cosigned by {', '.join(sorted(result.cosigned_by)) or 'no witness'}"
    )
    for e in result.entries:
        ev = e.event
        extra = f" to {ev.recipient}" if ev.recipient else ""
        typer.echo(
            f"  #{e.index} {ev.time} {ev.controller} / {ev.system}: {ev.action}{extra} "
            f"[{', '.join(ev.data_categories)}] for {ev.purpose!r} ({ev.legal_basis})"
        )
