"""``veil check``: compliance checks of apps, APKs and face-recognition deployments.

Exit status: 0 compliant, 1 findings (errors or warnings), 2 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from veil.rules.report import OutputFormat

check_app_cli = typer.Typer(
    help=(
        "Check apps, Android packages and face-recognition deployments against China's "
        "personal-information rules (Necessary-PI Provisions 2021, PIPL, the 2025 facial-"
        "recognition measures, the SPC provisions, local rules). Every finding cites its "
        "articles with their certainty. Exit status: 0 compliant, 1 findings, 2 bad input."
    ),
    no_args_is_help=True,
)

FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="text (default), json, sarif (SARIF 2.1.0) or html."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the report to this file (atomically) instead of stdout."
    ),
]


def _emit(report: object, fmt: OutputFormat, as_json: bool, output: Path | None) -> None:
    from veil.rules.models import Report
    from veil.rules.report import render, summary_line, write_atomic

    assert isinstance(report, Report)
    text = render(report, OutputFormat.JSON if as_json else fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text)
        typer.echo(f"{summary_line(report)}; report written to {output}", err=True)
    raise SystemExit(report.exit_code)


@check_app_cli.command("app")
def check_app_command(
    inventory: Annotated[
        Path, typer.Argument(help="App inventory, YAML or JSON (see docs/check.md).")
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Check an app inventory against the necessary-PI scope of its type.

    The inventory names the app type (number 1-39, Chinese or English name), its functions
    (the basic ones marked basic: true) and, per function, the items collected with purpose,
    refusable and separate_consent.

    Examples:

      veil check app docs/examples/app-maps.yaml

      veil check app app.json --format sarif -o veil.sarif
    """
    from veil.rules.apps import check_app

    _emit(check_app(inventory), fmt, as_json, output)


@check_app_cli.command("apk")
def check_apk_command(
    apk: Annotated[Path, typer.Argument(help="Android package (.apk).")],
    app_type: Annotated[
        str,
        typer.Option("--type", "-t", help="App type: number 1-39, Chinese or English name."),
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Map an APK's permissions and features to personal information; compare with the scope.

    Below targetSdkVersion 23 permissions are granted at install and cannot be refused, so
    access beyond the necessary scope is an error; runtime permissions give warnings.

    Examples:

      veil check apk music.apk --type 28

      veil check apk maps.apk --type 地图导航类 --format json
    """
    from veil.rules.apk import check_apk
    from veil.rules.taxonomy import resolve_app_type

    _emit(check_apk(apk, resolve_app_type(app_type)), fmt, as_json, output)


@check_app_cli.command("deployment")
def check_deployment_command(
    site: Annotated[
        Path,
        typer.Argument(help="Deployment description or veil gate configuration, YAML or JSON."),
    ],
    fmt: FormatOption = OutputFormat.TEXT,
    as_json: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Check a face-recognition deployment (sales office, gate, shop, attendance, hotel ...).

    Checks separate consent, withdrawal, notice and signage, alternatives to face recognition,
    storage in the device, retention, impact assessment and 3-year records, filing at 100,000
    people, minors under 14, private spaces, anonymization of non-consenting people, security,
    and local rules by city (Hangzhou, Tianjin, Nanjing, Kunming). A `veil_gate:` file
    describes a site running `veil gate`.

    Examples:

      veil check deployment docs/examples/deployment-sales-office.yaml

      veil check deployment docs/examples/veil-gate.yaml --format html -o gate.html
    """
    from veil.rules.deployments import check_deployment

    _emit(check_deployment(site), fmt, as_json, output)


@check_app_cli.command("types")
def list_types_command(as_json: JsonOption = False) -> None:
    """List the 39 app types with their basic function and necessary items."""
    from veil.rules.ruledata import rule_data

    data = rule_data()
    if as_json:
        rows = [
            {
                "number": t.number,
                "name_zh": t.name.zh,
                "name_en": t.name.en,
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
        typer.echo(f"{t.number:>2} {t.name.zh} {t.name.en}: {items} [{t.certainty.value}]")


@check_app_cli.command("items")
def list_items_command(as_json: JsonOption = False) -> None:
    """List the personal-information items an inventory may name, with category and aliases."""
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
