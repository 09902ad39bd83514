"""``veil ledger tiles``, ``veil ledger monitor`` and ``veil witness serve``: the ledger's standard
protocols (c2sp.org/tlog-tiles, tlog-witness) and its policy monitor, from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from veil.cli.ledger_common import Db, Keys, Witnesses, ledger_app
from veil.cli.witness import witness_app
from veil.textsafe import safe_text

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.ledger.stores import StoredCheckpoint

Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]


def tiles_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the tiles tree into.")],
    db: Db = None,
    keys: Keys = None,
    no_entries: Annotated[
        bool, typer.Option("--no-entries", help="Leave out entry bundles (they hold events).")
    ] = False,
) -> None:
    """Write the latest checkpoint and its tlog-tiles tree as static files, atomically.

    Example: veil ledger tiles --out /srv/www/log   (then serve /srv/www/log as /log/)
    """
    from veil.ledger import Ledger
    from veil.ledger.tiles import export_tiles

    with Ledger.open(db, keys, create=False) as led:
        done = export_tiles(led, out, entries=not no_entries)
    typer.echo(
        f"wrote {done.tiles} hash tile(s) and {done.entry_bundles} entry bundle(s) of tree size "
        f"{done.size} to {done.out_dir}"
    )


def monitor_command(
    db: Db = None,
    keys: Keys = None,
    witness: Witnesses = None,
    as_json: Json = False,
) -> None:
    """Replay the log and report policy findings (consent, transfers, checkpoints, split views).

    Exits 3 when there is any finding. --witness folders add their split-view evidence.
    """
    from veil.errors import VerificationError
    from veil.ledger import Ledger
    from veil.ledger.monitor import monitor_ledger
    from veil.ledger.witness import Witness

    evidence = [rec for w in witness or [] for rec in Witness.open(Path(w)).evidence()]
    with Ledger.open(db, keys, create=False) as led:
        report = monitor_ledger(led, evidence)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for f in report.findings:
            where = f"entry {f.index}" if f.index is not None else "log"
            typer.echo(f"{where} {f.event_id or '-'} {f.rule}: {safe_text(f.detail)}")
        typer.echo(f"{report.size} entries, {len(report.findings)} finding(s)")
    if not report.ok:
        raise VerificationError(f"the monitor found {len(report.findings)} policy finding(s)")


def serve_command(
    home: Annotated[Path, typer.Option("--home", help="The witness folder (veil witness init).")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8077,
) -> None:
    """Run this witness alone over HTTP: POST http://HOST:PORT/witness/add-checkpoint."""
    import uvicorn

    from veil.service.protocols import witness_app as build

    uvicorn.run(build(home), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the protocol commands to the ``ledger`` and ``witness`` groups."""
    ledger_app.command("tiles")(tiles_command)
    ledger_app.command("monitor")(monitor_command)
    witness_app.command("serve")(serve_command)


def policy_checkpoint(
    led: Ledger, witnesses: list[str], vkeys: list[str], quorum: int | None
) -> tuple[str, StoredCheckpoint | None]:
    """``veil ledger checkpoint --witness URL ... --quorum N``: publish under an N-of-M policy,
    warning on stderr about each witness that did not cosign."""
    from veil.ledger.witness_http import checkpoint_with_policy, open_cosigning_witnesses

    ws = open_cosigning_witnesses(witnesses)
    done = checkpoint_with_policy(led, ws, vkeys, len(ws) if quorum is None else quorum)
    for o in done.outcomes:
        if o.cosigner is None:
            typer.echo(f"warning: witness {safe_text(o.witness)}: {safe_text(o.detail)}", err=True)
    return done.note, led.store.get_checkpoint(done.checkpoint_id)
