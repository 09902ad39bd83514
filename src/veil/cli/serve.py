"""``veil serve``: run the Veil service, and manage its accounts and API tokens.

``veil serve [--host H] [--port P] [--db URL] [--config FILE] [--certfile F --keyfile F]`` runs the
FastAPI app under uvicorn; ``veil serve --demo`` serves a temporary, seeded demo home instead.
``veil serve user add|list`` and ``veil serve token create|list|revoke`` work on the same database. There are no default credentials: the first admin is made with
``veil serve user add NAME --role admin``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from veil.errors import BadInputError, ConfigError

if TYPE_CHECKING:
    from veil.service.db import ServiceDb

serve_app = typer.Typer(
    name="serve",
    help="Run the Veil service (HTTP API, tlog-tiles, tlog-witness); manage accounts and tokens.",
    invoke_without_command=True,
)
user_app = typer.Typer(name="user", help="Service accounts (operator, auditor, admin).",
                       no_args_is_help=True)  # fmt: skip
token_app = typer.Typer(name="token", help="API tokens for machines (scoped to a role).",
                        no_args_is_help=True)  # fmt: skip
serve_app.add_typer(user_app)
serve_app.add_typer(token_app)

Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: SQLite in $VEIL_HOME).")
]
Config = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: $VEIL_HOME/veil.config)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]


def _db(ctx: typer.Context, db: str | None, config: Path | None) -> ServiceDb:
    """The service database: the subcommand's --db/--config, else those given to ``veil serve``."""
    from veil.service.db import ServiceDb
    from veil.service.settings import load_settings

    outer = ctx.obj if isinstance(ctx.obj, dict) else {}
    settings = load_settings({"db": db or outer.get("db")}, config or outer.get("config"))
    return ServiceDb(settings.db_url())


@serve_app.callback()
def serve_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=0, max=65535, help="Port (8000).")
    ] = None,
    db: Db = None,
    config: Config = None,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help="TLS certificate (PEM).")
    ] = None,
    keyfile: Annotated[
        Path | None, typer.Option("--keyfile", help="TLS private key (PEM).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, max=64, help="Worker processes sharing the port (1)."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve a temporary demo home (a sales office, its cameras, consents, a cosigned "
            "ledger); prints the URLs and one-time credentials of each role.",
        ),
    ] = False,
) -> None:
    """Run the service. Settings: flags > VEIL_SERVE_* environment > veil.config (docs/service.md).

    Example: veil serve --host 0.0.0.0 --port 8443 --certfile cert.pem --keyfile key.pem
    """
    if ctx.invoked_subcommand is not None:  # `veil serve --db URL user add ...`
        ctx.obj = {"db": db, "config": config}
        return
    if demo:
        if db or config:
            raise ConfigError("--demo serves its own temporary home: drop --db and --config")
        _serve_demo(host or "127.0.0.1", 8000 if port is None else port, certfile, keyfile)
        return
    from veil.service.app import serve
    from veil.service.settings import load_settings

    flags = {"host": host, "port": port, "db": db, "certfile": certfile, "keyfile": keyfile}
    settings = load_settings(flags, config)
    if workers is not None and workers > 1:
        serve(settings, workers)
    else:
        serve(settings)


def _serve_demo(host: str, port: int, certfile: Path | None, keyfile: Path | None) -> None:
    """Seed a temporary demo home, print its URLs and credentials, serve it, delete it on exit."""
    import os
    import shutil

    from veil.service.app import serve
    from veil.service.demo_serve import demo_banner, prepare_demo

    world = prepare_demo(host=host, port=port)
    try:
        # the demo's consent vault is the demo home's own key, whatever the shell has set
        os.environ.pop("VEIL_MASTER_KEY", None)
        os.environ["VEIL_MASTER_KEY_FILE"] = str(world.seed.home / "master.key")
        settings = world.settings.model_copy(update={"certfile": certfile, "keyfile": keyfile})
        scheme = "https" if certfile else "http"
        typer.echo(demo_banner(world, f"{scheme}://{host}:{port}"))
        serve(settings)
    finally:
        shutil.rmtree(world.seed.home, ignore_errors=True)


@user_app.command("add")
def user_add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Account name (lower case).")],
    role: Annotated[str, typer.Option("--role", help="operator, auditor or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: Db = None,
    config: Config = None,
) -> None:
    """Add an account. Without --password-stdin a random password is generated and printed once."""
    from veil.service.accounts import add_account, generate_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    if password_stdin and not password:
        raise BadInputError("no password on standard input")
    acct = add_account(_db(ctx, db, config), name, role, password)
    typer.echo(f"added {acct.role} account {acct.name}")
    if not password_stdin:
        typer.echo(f"password (shown once): {password}")


@user_app.command("list")
def user_list_command(
    ctx: typer.Context, db: Db = None, config: Config = None, as_json: Json = False
) -> None:
    """List accounts (name, role, pseudonym); never a password hash."""
    from veil.service.accounts import list_accounts

    accts = list_accounts(_db(ctx, db, config))
    if as_json:
        typer.echo(json.dumps([a.__dict__ for a in accts], indent=2))
        return
    for a in accts:
        typer.echo(f"{a.name}\t{a.role}\t{a.pseudonym}")


@token_app.command("create")
def token_create_command(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="operator or auditor.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")],
    ttl_days: Annotated[
        int | None, typer.Option("--ttl-days", min=1, help="Expire after N days (default never).")
    ] = None,
    db: Db = None,
    config: Config = None,
) -> None:
    """Create an API token; its secret is printed once (send it as Authorization: Bearer ...)."""
    from veil.service.tokens import create_token

    ttl = None if ttl_days is None else ttl_days * 86400
    secret, tok = create_token(_db(ctx, db, config), role, label, ttl_s=ttl)
    typer.echo(f"token {tok.token_id} ({tok.role}, {tok.label})")
    typer.echo(f"secret (shown once): {secret}")


@token_app.command("list")
def token_list_command(
    ctx: typer.Context, db: Db = None, config: Config = None, as_json: Json = False
) -> None:
    """List API tokens (never a secret); revoked ones are marked."""
    from veil.service.tokens import list_tokens

    toks = list_tokens(_db(ctx, db, config))
    if as_json:
        typer.echo(json.dumps([t.__dict__ for t in toks], indent=2))
        return
    for t in toks:
        state = "revoked" if t.revoked_at is not None else "live"
        typer.echo(f"{t.token_id}\t{t.role}\t{state}\t{t.label}")


@token_app.command("revoke")
def token_revoke_command(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (veil serve token list).")],
    db: Db = None,
    config: Config = None,
) -> None:
    """Revoke an API token, effective at once."""
    from veil.service.tokens import revoke_token

    if not revoke_token(_db(ctx, db, config), token_id):
        raise BadInputError(f"no live token with id {token_id!r}")
    typer.echo(f"revoked token {token_id}")


def register(app: typer.Typer) -> None:
    """Add ``veil serve`` to the root app."""
    app.add_typer(serve_app)
