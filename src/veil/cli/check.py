"""``veil check``: compliance checks of apps, APKs and face-recognition deployments.

Exit status: 0 compliant, 1 findings (errors or warnings), 2 bad input or usage.
The commands are thin: they parse, call :mod:`veil.rules`, print or write the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from veil.cli.check_help import (
    APK_HELP,
    APP_HELP,
    DEPLOYMENT_HELP,
    GROUP_HELP,
    ITEMS_HELP,
    TYPES_HELP,
)
from veil.rules.report import OutputFormat
from veil.textsafe import safe_text

check_app_cli = typer.Typer(help=GROUP_HELP, no_args_is_help=True)

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="text (default, for people), json (for scripts), sarif (SARIF 2.1.0, for code "
        "scanning) or html (a page to share).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the report to this file (atomically, replacing it) instead of stdout; the "
        "one-line verdict goes to stderr.",
    ),
]


def _emit(report: object, fmt: OutputFormat, as_json: bool, output: Path | None) -> None:
    from veil.rules.models import Report
    from veil.rules.report import for_terminal, render, summary_line, write_atomic

    assert isinstance(report, Report)
    fmt = OutputFormat.JSON if as_json else fmt
    text = render(report, fmt)
    if output is None:
        typer.echo(for_terminal(text, fmt), nl=False)
    else:
        write_atomic(output, text)
        typer.echo(f"{summary_line(report)}; report written to {safe_text(output)}", err=True)
    raise SystemExit(report.exit_code)


@check_app_cli.command(
    "app", help=APP_HELP, short_help="Check an app inventory against its type's necessary scope."
)
def check_app_command(
    inventory: Annotated[
        Path, typer.Argument(help="App inventory, YAML or JSON (see docs/check.md).")
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    from veil.rules.apps import check_app

    _emit(check_app(inventory), fmt, as_json, output)


@check_app_cli.command(
    "apk",
    help=APK_HELP,
    short_help="Check an Android package's permissions against its type's scope.",
)
def check_apk_command(
    apk: Annotated[Path, typer.Argument(help="Android package (.apk).")],
    app_type: Annotated[
        str,
        typer.Option(
            "--type",
            "-t",
            help="The app's type: number 1-39, Chinese or English name (veil check types).",
        ),
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    from veil.rules.apk import check_apk
    from veil.rules.taxonomy import resolve_app_type

    _emit(check_apk(apk, resolve_app_type(app_type)), fmt, as_json, output)


@check_app_cli.command(
    "deployment",
    help=DEPLOYMENT_HELP,
    short_help="Check a face-recognition deployment or a veil gate configuration.",
)
def check_deployment_command(
    site: Annotated[
        Path,
        typer.Argument(help="Deployment description or veil gate configuration, YAML or JSON."),
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    from veil.rules.deployments import check_deployment

    _emit(check_deployment(site), fmt, as_json, output)


@check_app_cli.command(
    "types",
    help=TYPES_HELP,
    short_help="List the 39 app types, their basic function and necessary items.",
)
def list_types_command(as_json: JsonOption = False) -> None:
    from veil.rules.ruledata import rule_data

    data = rule_data()
    if as_json:
        rows = [
            {
                "number": t.number,
                "name_zh": t.name.zh,
                "name_en": t.name.en,
                "basic_function_zh": t.basic_function.zh,
                "basic_function_en": t.basic_function.en,
                "necessary_items": sorted(t.necessary_items),
                "certainty": t.certainty.value,
                "citation": data.type_citation(t).label,
            }
            for t in data.app_types
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for t in data.app_types:
        items = ", ".join(sorted(t.necessary_items)) or "(none needed)"
        typer.echo(
            f"{t.number:>2} {t.name.zh} {t.name.en} ({t.basic_function.en}): {items} "
            f"[{t.certainty.value}]"
        )


@check_app_cli.command(
    "items",
    help=ITEMS_HELP,
    short_help="List the personal-information items, categories and aliases.",
)
def list_items_command(as_json: JsonOption = False) -> None:
    from veil.rules.ruledata import rule_data

    data = rule_data()
    if as_json:
        rows = [item.model_dump(mode="json") for _, item in sorted(data.items.items())]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for key, item in sorted(data.items.items()):
        flag = " SENSITIVE" if item.sensitive else ""
        aliases = f" (also: {', '.join(item.aliases)})" if item.aliases else ""
        typer.echo(f"{key} [{item.category}{flag}] {item.en} / {item.zh}{aliases}")


def register(app: typer.Typer) -> None:
    """Add the ``check`` command group to the ``veil`` application."""
    app.add_typer(check_app_cli, name="check")
