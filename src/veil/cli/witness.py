"""``veil witness``: a C2SP tlog-witness kept in a folder (init, add-log, cosign, show).

The witness cosigns a log's checkpoint only when it is consistent with the last one it cosigned
for that log, so no log can show different histories to different people without the witnesses
holding the proof. HTTP (``/add-checkpoint``) comes with the service; the semantics are the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from veil.errors import BadInputError
from veil.textsafe import safe_text

witness_app = typer.Typer(
    name="witness",
    help=(
        "A transparency-log witness (c2sp.org/tlog-witness): keeps the latest checkpoint of each "
        "log it trusts, cosigns new ones only with a valid consistency proof, and keeps "
        "inconsistent ones as evidence of a split view."
    ),
    no_args_is_help=True,
)

Dir = Annotated[
    Path | None,
    typer.Option("--dir", help="Witness folder (default: $VEIL_HOME/witness).", show_default=False),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]


@witness_app.command("init")
def init_command(
    name: Annotated[
        str, typer.Option("--name", help="The witness's key name, e.g. witness.example.org.")
    ],
    folder: Dir = None,
    as_json: Json = False,
) -> None:
    """Create a witness key and state folder, and print the witness's cosigner vkey.

    Examples:

      veil witness init --name witness.example.org --dir /srv/witness > witness.vkey
    """
    from veil.ledger.witness import Witness

    w = Witness.create(folder, name)
    if as_json:
        typer.echo(json.dumps({"name": w.name, "vkey": w.vkey, "dir": str(w.folder)}))
    else:
        typer.echo(w.vkey)


@witness_app.command("add-log")
def add_log_command(
    vkey: Annotated[
        str, typer.Argument(help="The log's vkey (from `veil ledger init`) or a file.")
    ],
    folder: Dir = None,
    as_json: Json = False,
) -> None:
    """Trust a log: its verifier key names its origin.

    Examples:

      veil witness add-log "$(veil ledger init)" --dir /srv/witness

      veil witness add-log log.vkey
    """
    from veil.cli.ledger_common import key_text
    from veil.ledger.witness import Witness

    origin = Witness.open(folder).add_log(key_text(vkey, "log key"))
    if as_json:
        typer.echo(json.dumps({"origin": origin}))
    else:
        typer.echo(f"trusting log {origin}")


@witness_app.command("cosign")
def cosign_command(
    request: Annotated[
        Path | None,
        typer.Argument(
            help="An add-checkpoint request body (from `veil ledger checkpoint --request-from`); "
            "'-' or nothing: stdin.",
            show_default=False,
        ),
    ] = None,
    folder: Dir = None,
    as_json: Json = False,
) -> None:
    """Handle an add-checkpoint request and print the cosignature line(s).

    Refusals follow the spec's statuses: 409 stale old size or same size with another root and
    422 consistency proof fails are evidence about the log (exit 3); 400 malformed request, 403
    bad log signature and 404 unknown log are configuration (exit 2). Inconsistent checkpoints
    are kept under evidence/.

    Examples:

      veil ledger checkpoint --request-from 0 | veil witness cosign > cosig.txt
    """
    from veil.ledger.witness import Witness, WitnessError

    try:
        if request is None or str(request) == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            body = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
        else:
            body = request.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{request}: cannot read: {exc.strerror or exc}") from None
    w = Witness.open(folder)
    try:
        lines = w.add_checkpoint(body)
    except WitnessError as exc:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "ok": False,
                        "status": exc.status,
                        "error": str(exc),
                        "latest_size": exc.latest_size,
                    }
                )
            )
        raise
    if as_json:
        typer.echo(json.dumps({"ok": True, "cosignature": lines}))
    else:
        sys.stdout.write(lines)


@witness_app.command("show")
def show_command(folder: Dir = None, as_json: Json = False) -> None:
    """Show the witness's vkey, the logs it trusts and the split-view evidence it holds.

    For each log: the latest cosigned size and root. Evidence records are checkpoints that were
    validly signed by a log but inconsistent with what the witness had cosigned.

    Examples:

      veil witness show --json
    """
    from veil.ledger.witness import Witness

    w = Witness.open(folder)
    logs = w.logs()
    evidence = w.evidence()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "name": w.name,
                    "vkey": w.vkey,
                    "logs": {
                        o: {"vkey": e["vkey"], "size": e["size"], "root": e["root"]}
                        for o, e in logs.items()
                    },
                    "evidence": evidence,
                },
                indent=2,
            )
        )
        return
    typer.echo(f"witness: {w.name}")
    typer.echo(f"vkey: {w.vkey}")
    for origin, e in sorted(logs.items()):
        typer.echo(f"log {origin}: cosigned size {e['size']} root {e['root'] or '-'}")
    typer.echo(f"split-view evidence: {len(evidence)} record(s)")
    for rec in evidence:
        typer.echo(safe_text(f"  {rec['time']} {rec['origin']}: {rec['reason']}"))


def register(app: typer.Typer) -> None:
    """Add the ``witness`` command group to the ``veil`` application."""
    app.add_typer(witness_app, name="witness")
