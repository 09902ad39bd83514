"""``veil serve``: run the Veil service, and manage its accounts and API tokens.

``veil serve [--host H] [--port P] [--db URL] [--config FILE] [--certfile F --keyfile F]`` runs the
FastAPI app under uvicorn; ``veil serve --demo`` serves a temporary, seeded demo home instead.
``veil serve user add|list`` and ``veil serve token create|list|revoke`` work on the same database
(:func:`~veil.service.settings.on_service_db`) and print their library result. There are no
default credentials: the first admin is made with ``veil serve user add NAME --role admin``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Concatenate, ParamSpec, TypeVar

import typer
from typer import Argument, Option

from veil import service
from veil.cli.output import Json, help_text, present
from veil.errors import BadInputError, ConfigError

if TYPE_CHECKING:
    from veil.service.db import ServiceDb

P = ParamSpec("P")
R = TypeVar("R")

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

Db = Annotated[str | None, Option("--db", help="Database URL (default: SQLite in $VEIL_HOME).")]
Config = Annotated[
    Path | None,
    Option("--config", help="TOML settings file (default: $VEIL_HOME/veil.config)."),
]


def _on_db(
    ctx: typer.Context,
    db: str | None,
    config: Path | None,
    operation: Callable[Concatenate[ServiceDb, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``operation`` on the database of the subcommand's --db/--config, else of those given to
    ``veil serve`` before it."""
    outer = ctx.obj if isinstance(ctx.obj, dict) else {}
    db, config = db or outer.get("db"), config or outer.get("config")
    return service.settings.on_service_db(db, config, operation, *args, **kwargs)


@serve_app.callback()
def serve_command(
    ctx: typer.Context,
    host: Annotated[str | None, Option("--host", help="Address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, Option("--port", min=0, max=65535, help="Port (8000).")] = None,
    db: Db = None,
    config: Config = None,
    certfile: Annotated[Path | None, Option("--certfile", help="TLS certificate (PEM).")] = None,
    keyfile: Annotated[Path | None, Option("--keyfile", help="TLS private key (PEM).")] = None,
    workers: Annotated[
        int | None,
        Option("--workers", min=1, max=64, help="Worker processes sharing the port (1)."),
    ] = None,
    demo: Annotated[bool, Option("--demo", help=help_text("serve-demo"))] = False,
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
        service.demo_serve.serve_demo(
            host or "127.0.0.1", 8000 if port is None else port, certfile, keyfile
        )
        return
    from veil.service.app import serve

    flags = {"host": host, "port": port, "db": db, "certfile": certfile, "keyfile": keyfile}
    serve(service.settings.load_settings(flags, config), workers or 1)


@user_app.command("add")
def user_add_command(
    ctx: typer.Context,
    name: Annotated[str, Argument(help="Account name (lower case).")],
    role: Annotated[str, Option("--role", help="operator, auditor or admin.")],
    password_stdin: Annotated[
        bool, Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: Db = None,
    config: Config = None,
) -> None:
    """Add an account. Without --password-stdin a random password is generated and printed once."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password == "":
        raise BadInputError("no password on standard input")
    present(_on_db(ctx, db, config, service.accounts.create_account, name, role, password))


@user_app.command("list")
def user_list_command(
    ctx: typer.Context, db: Db = None, config: Config = None, as_json: Json = False
) -> None:
    """List accounts (name, role, pseudonym); never a password hash."""
    present(_on_db(ctx, db, config, service.accounts.account_list), as_json)


@token_app.command("create")
def token_create_command(
    ctx: typer.Context,
    role: Annotated[str, Option("--role", help="operator or auditor.")],
    label: Annotated[str, Option("--label", help="What the token is for.")],
    ttl_days: Annotated[
        int | None, Option("--ttl-days", min=1, help="Expire after N days (default never).")
    ] = None,
    db: Db = None,
    config: Config = None,
) -> None:
    """Create an API token; its secret is printed once (send it as Authorization: Bearer ...)."""
    present(_on_db(ctx, db, config, service.tokens.issue_token, role, label, ttl_days))


@token_app.command("list")
def token_list_command(
    ctx: typer.Context, db: Db = None, config: Config = None, as_json: Json = False
) -> None:
    """List API tokens (never a secret); revoked ones are marked."""
    present(_on_db(ctx, db, config, service.tokens.token_list), as_json)


@token_app.command("revoke")
def token_revoke_command(
    ctx: typer.Context,
    token_id: Annotated[str, Argument(help="The token's id (veil serve token list).")],
    db: Db = None,
    config: Config = None,
) -> None:
    """Revoke an API token, effective at once."""
    present(_on_db(ctx, db, config, service.tokens.revoke_live_token, token_id))


def register(app: typer.Typer) -> None:
    """Add ``veil serve`` to the root app."""
    app.add_typer(serve_app)
