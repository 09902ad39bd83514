"""``veil check``: compliance checks of apps, APKs and face-recognition deployments.

Exit status: 0 compliant, 1 findings (errors or warnings), 2 bad input or usage.
The commands are thin: they parse, call :mod:`veil.rules`, print or write the report. Their help
texts are package data (``veil/cli/help/check*.txt``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.models import CommandFunctionType

from veil.cli.output import emit, help_text
from veil.rules.report import OutputFormat

if TYPE_CHECKING:
    from veil.rules.models import Report

check_app_cli = typer.Typer(help=help_text("check"), no_args_is_help=True)

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help=help_text("check-format"))
]
JsonOption = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help=help_text("check-output"))
]
Inventory = Annotated[Path, typer.Argument(help="App inventory, YAML or JSON (see docs/check.md).")]
Apk = Annotated[Path, typer.Argument(help="Android package (.apk).")]
AppType = Annotated[str, typer.Option("--type", "-t", help=help_text("check-app-type"))]
Site = Annotated[
    Path, typer.Argument(help="Deployment description or veil gate configuration, YAML or JSON.")
]


def _emit(report: Report, fmt: OutputFormat, as_json: bool, output: Path | None) -> None:
    from veil.rules.report import deliver

    shown, verdict = deliver(report, OutputFormat.JSON if as_json else fmt, output)
    typer.echo(shown, nl=False)
    if verdict:
        typer.echo(verdict, err=True)
    raise SystemExit(report.exit_code)


def _command(name: str, short: str) -> Callable[[CommandFunctionType], CommandFunctionType]:
    return check_app_cli.command(name, help=help_text(f"check-{name}"), short_help=short)


@_command("app", "Check an app inventory against its type's necessary scope.")
def check_app_command(
    inventory: Inventory,
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """``veil check app``: one inventory against its type's necessary scope."""
    from veil.rules.apps import check_app

    _emit(check_app(inventory), fmt, as_json, output)


@_command("apk", "Check an Android package's permissions against its type's scope.")
def check_apk_command(
    apk: Apk,
    app_type: AppType,
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """``veil check apk``: a package's permissions against its type's scope."""
    from veil.rules.apk import check_apk
    from veil.rules.taxonomy import resolve_app_type

    _emit(check_apk(apk, resolve_app_type(app_type)), fmt, as_json, output)


@_command("deployment", "Check a face-recognition deployment or a veil gate configuration.")
def check_deployment_command(
    site: Site,
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """``veil check deployment``: a site or a veil gate configuration against the rules."""
    from veil.rules.deployments import check_deployment

    _emit(check_deployment(site), fmt, as_json, output)


@_command("types", "List the 39 app types, their basic function and necessary items.")
def list_types_command(as_json: JsonOption = False) -> None:
    """``veil check types``: the 39 app types."""
    from veil.rules.reference import app_types

    listing = app_types()
    emit(as_json, listing.as_list(), listing.lines())


@_command("items", "List the personal-information items, categories and aliases.")
def list_items_command(as_json: JsonOption = False) -> None:
    """``veil check items``: the personal-information items."""
    from veil.rules.reference import pi_items

    listing = pi_items()
    emit(as_json, listing.as_list(), listing.lines())


def register(app: typer.Typer) -> None:
    """Add the ``check`` command group to the ``veil`` application."""
    app.add_typer(check_app_cli, name="check")
