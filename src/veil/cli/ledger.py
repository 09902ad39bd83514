"""``veil ledger``: the verifiable trace ledger (init, append, checkpoint, export, verify, prove,
trace, verify-bundle, status). Thin: parse, call :class:`veil.ledger.Ledger`, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.errors import BadInputError, ConfigError, VerificationError
from veil.textsafe import safe_json, safe_text

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
Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]
Witnesses = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A local witness folder (from `veil witness init`) or an HTTP witness URL that "
        "cosigns the checkpoint; repeat for several.",
        show_default=False,
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


def _key_text(value: str, what: str) -> str:
    """A key given inline or as the path of a file holding it."""
    path = Path(value).expanduser()
    if "+" not in value or path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(
                f"{what} {value!r} is neither a key nor a readable key file"
            ) from None
    return value.strip()


def _open(db: str | None, keys: Path | None, create: bool = False) -> Any:
    from veil.ledger import Ledger

    return Ledger.open(db, keys, create=create)


def _witnesses(folders: list[str] | None) -> list[Any]:
    from veil.ledger.witness import Witness

    return [Witness.open(Path(f)) for f in folders or []]


def _write(text: str, output: Path | None, overwrite: bool) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from veil.core.atomic import atomic_output

    with atomic_output(output, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def _print_json(data: Any) -> None:
    typer.echo(safe_json(json.dumps(data, indent=2, ensure_ascii=False)))


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
        _print_json({"origin": st.origin, "vkey": st.vkey, "db": st.db, "size": st.size})
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


def _parse_event(led: Any, line: str, where: str) -> Any:
    from veil.ledger.events import Event, EventError, uuid7

    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadInputError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{where}: an event must be a JSON object")
    raw_subject = data.pop("subject_id", None)
    if raw_subject is not None:
        if data.get("subject") is not None:
            raise BadInputError(f"{where}: give subject_id or subject, not both")
        if not isinstance(raw_subject, str):
            raise BadInputError(f"{where}: subject_id must be a string")
        data["subject"] = led.pseudonym(raw_subject)
    if "time" not in data:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        data["time"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    data.setdefault("id", uuid7())
    try:
        return Event.parse(data)
    except EventError as exc:
        raise BadInputError(f"{where}: {exc}") from None


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
    with _open(db, keys) as led:
        events = []
        for n, line in _event_lines(source):
            if line.strip():
                events.append(_parse_event(led, line, f"line {n}"))
        indexes: list[int] = []
        for i in range(0, len(events), batch):
            indexes.extend(led.append_many(events[i : i + batch]))
    if as_json:
        _print_json([{"index": i, "id": e.id} for i, e in zip(indexes, events, strict=True)])
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
    with _open(db, keys) as led:
        if request_from is not None:
            _write(led.witness_request(request_from), output, overwrite)
            return
        if add_cosignatures is not None:
            if witness_key is None:
                raise ConfigError("--add-cosignatures needs --witness-key")
            try:
                lines = add_cosignatures.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise BadInputError(f"{add_cosignatures}: cannot read: {exc}") from None
            cp = led.add_cosignatures(lines, _key_text(witness_key, "--witness-key"))
            note = led.note_with_cosignatures(cp)
        elif quorum is not None or any("://" in w for w in witness or []):
            from veil.cli.protocols import policy_checkpoint

            note, cp = policy_checkpoint(led, witness or [], witness_vkey or [], quorum)
        else:
            note = led.checkpoint(_witnesses(witness))
            cp = led.latest_checkpoint()
        assert cp is not None
        if as_json:
            _print_json(
                {"id": cp.id, "size": cp.size, "cosignatures": len(cp.cosignatures), "note": note}
            )
        else:
            _write(note, output, overwrite)


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
    with _open(db, keys) as led:
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


# -- verify -------------------------------------------------------------------------------------


def _read_note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {exc}") from None


def _verify_export(
    leaves: Path,
    checkpoint: Path,
    log_key: str,
    witness_key: list[str],
    min_w: int | None,
    previous: list[Path],
) -> dict[str, Any]:
    from veil.ledger import merkle
    from veil.ledger.note import NoteError, parse_vkey, verify_checkpoint
    from veil.ledger.proofs import check_witness_policy

    note = _read_note(checkpoint)
    lkey = parse_vkey(_key_text(log_key, "--log-key"))
    wkeys = [parse_vkey(_key_text(k, "--witness-key")) for k in witness_key]
    try:
        signed = verify_checkpoint(note, lkey, wkeys)
    except NoteError as exc:
        raise VerificationError(f"checkpoint: {exc}") from None
    check_witness_policy(signed.cosigned_by, wkeys, len(wkeys) if min_w is None else min_w)
    hashes = []
    try:
        with leaves.open("rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    raise BadInputError(f"{leaves}: the last line is not terminated")
                hashes.append(merkle.leaf_hash(line[:-1]))
    except OSError as exc:
        raise BadInputError(f"{leaves}: cannot read: {exc}") from None
    cp = signed.checkpoint
    if len(hashes) != cp.size:
        raise VerificationError(
            f"the export holds {len(hashes)} leaves but the checkpoint is for {cp.size}"
        )
    if merkle.root_from_leaf_hashes(hashes) != cp.root:
        raise VerificationError(
            f"the exported leaves do not hash to the checkpoint's root (size {cp.size})"
        )
    for path in previous:
        try:
            old = verify_checkpoint(_read_note(path), lkey).checkpoint
        except NoteError as exc:
            raise VerificationError(f"{path}: checkpoint: {exc}") from None
        if old.size > cp.size or merkle.root_from_leaf_hashes(hashes[: old.size]) != old.root:
            raise VerificationError(
                f"{path}: the earlier checkpoint (size {old.size}) is not a prefix of this log: "
                "the log was rewritten or forked"
            )
    return {
        "ok": True,
        "size": cp.size,
        "origin": cp.origin,
        "cosigned_by": sorted(signed.cosigned_by),
    }


@ledger_app.command("verify")
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
        result = _verify_export(
            leaves, checkpoint, log_key, witness_key or [], min_witnesses, previous or []
        )
        if as_json:
            _print_json(result)
        else:
            typer.echo(
                f"ok: {result['size']} exported leaves match the checkpoint of {result['origin']}"
            )
        return
    with _open(db, keys) as led, _progress("verifying leaves") as tick:
        report = led.verify([_key_text(k, "--witness-key") for k in witness_key or []], tick)
    if as_json:
        _print_json(
            {
                "ok": report.ok,
                "size": report.size,
                "leaves_checked": report.leaves_checked,
                "nodes_checked": report.nodes_checked,
                "checkpoints_checked": report.checkpoints_checked,
                "problem_count": report.problem_count,
                "problems": report.problems,
            }
        )
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


@ledger_app.command("prove")
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
    with _open(db, keys) as led:
        bundle = led.prove(event, _witnesses(witness))
    if output is not None and output.suffix == ".tlog-proof":
        bundle = json.loads(bundle)["entries"][0]["tlog_proof"]  # the bare C2SP proof
    _write(bundle, output, overwrite)


@ledger_app.command("trace")
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
    with _open(db, keys) as led:
        who = led.pseudonym(subject) if subject is not None else pseudonym
        _write(led.trace(who, _witnesses(witness)), output, overwrite)


# -- verify-bundle ------------------------------------------------------------------------------


@ledger_app.command("verify-bundle")
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
    lkey = parse_vkey(_key_text(log_key, "--log-key"))
    wkeys = [parse_vkey(_key_text(k, "--witness-key")) for k in witness_key or []]
    result = verify_bundle(data, lkey, wkeys, min_witnesses)
    cp = result.checkpoint
    if as_json:
        _print_json(
            {
                "ok": True,
                "kind": result.kind,
                "origin": cp.origin,
                "tree_size": cp.size,
                "cosigned_by": sorted(result.cosigned_by),
                "subject": result.subject,
                "events": [
                    {"index": e.index, **e.event.model_dump(mode="json", exclude_none=True)}
                    for e in result.entries
                ],
            }
        )
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


# -- status -------------------------------------------------------------------------------------


@ledger_app.command("status")
def status_command(db: Db = None, keys: Keys = None, as_json: Json = False) -> None:
    """Show the log's origin, verifier key, size, root and checkpoints.

    Examples:

      veil ledger status --json
    """
    with _open(db, keys) as led:
        st = led.status().as_dict()
    if as_json:
        _print_json(st)
        return
    for k, v in st.items():
        typer.echo(f"{k}: {safe_text(v)}")


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` command group to the ``veil`` application."""
    app.add_typer(ledger_app, name="ledger")
