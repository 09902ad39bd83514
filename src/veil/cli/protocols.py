"""``veil ledger tiles``, ``veil ledger monitor`` and ``veil witness serve``: the ledger's standard
protocols (c2sp.org/tlog-tiles, tlog-witness) and its policy monitor, from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli.ledger_common import Db, Keys, Witnesses, ledger_app
from veil.cli.output import Json, help_text, print_lines, show
from veil.cli.witness import witness_app

TilesOut = Annotated[Path, typer.Option("--out", help="Folder to write the tiles tree into.")]
NoEntries = Annotated[
    bool, typer.Option("--no-entries", help="Leave out entry bundles (they hold events).")
]
Home = Annotated[Path, typer.Option("--home", help="The witness folder (veil witness init).")]
Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
Port = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")]


def tiles_command(
    out: TilesOut, db: Db = None, keys: Keys = None, no_entries: NoEntries = False
) -> None:
    """Write the latest checkpoint and its tlog-tiles tree as static files, atomically."""
    from veil.ledger import Ledger
    from veil.ledger.tiles import export_tiles

    with Ledger.open(db, keys, create=False) as led:
        print_lines(export_tiles(led, out, entries=not no_entries).lines())


def monitor_command(
    db: Db = None, keys: Keys = None, witness: Witnesses = None, as_json: Json = False
) -> None:
    """Replay the log and report policy findings (consent, transfers, checkpoints, split views)."""
    from veil.ledger import Ledger
    from veil.ledger.monitor import monitor_ledger
    from veil.ledger.witness_admin import witness_evidence

    evidence = witness_evidence(witness or [])
    with Ledger.open(db, keys, create=False) as led:
        report = monitor_ledger(led, evidence)
    show(report, as_json)
    if not report.ok:
        raise report.error()


def serve_command(home: Home, host: Host = "127.0.0.1", port: Port = 8077) -> None:
    """Run this witness alone over HTTP: POST http://HOST:PORT/witness/add-checkpoint."""
    import uvicorn

    from veil.service.protocols import witness_app as build

    uvicorn.run(build(home), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the protocol commands to the ``ledger`` and ``witness`` groups."""
    ledger_app.command("tiles", help=help_text("ledger-tiles"))(tiles_command)
    ledger_app.command("monitor", help=help_text("ledger-monitor"))(monitor_command)
    witness_app.command("serve", help=help_text("witness-serve"))(serve_command)
