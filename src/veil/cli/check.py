"""``veil check``: compliance checks of apps, APKs and face-recognition deployments.

Exit status: 0 compliant, 1 findings (errors or warnings), 2 bad input or usage.
The commands are thin: they parse, call :mod:`veil.rules`, print or write the report.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from veil.rules.report import OutputFormat
from veil.textsafe import safe_text


def teach(text: str) -> str:
    """Help text for Typer: paragraphs joined into one line each, indented examples kept."""
    blocks = textwrap.dedent(text).strip().split("\n\n")
    out = []
    for block in blocks:
        lines = block.splitlines()
        if all(line.startswith("  ") for line in lines):
            out.append(block)  # examples and lists keep their lines
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


GROUP_HELP = teach(
    """
    Check apps, Android packages and face-recognition deployments against China's
    personal-information rules: the 2021 Necessary-PI Provisions (39 app types), PIPL, the 2025
    facial-recognition measures, the Supreme People's Court 2021 provisions and local rules
    (Hangzhou, Tianjin, Nanjing, Kunming).

    Every finding names the check that found it, where (file and line), and the articles it
    rests on, each with its certainty: verified-from-source, verified-secondary or recalled.
    English renderings are working translations; this is not legal advice.

    Exit status: 0 compliant (notes allowed), 1 findings (errors or warnings), 2 bad input
    (unreadable, malformed or unknown types and items) or bad usage.

    Examples:

      veil check types                        # the 39 app types, their scope

      veil check items                        # names an inventory may use

      veil check app docs/examples/app-shop.yaml

      veil check apk music.apk --type 28

      veil check deployment docs/examples/veil-gate.yaml

      veil check app app.yaml -f sarif -o veil.sarif   # CI code scanning

    Guide: docs/check.md.
    """
)

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


APP_HELP = teach(
    """
    Check an app inventory (YAML or JSON) against the necessary-PI scope of its type.

    The inventory names the app, its type (number 1-39, Chinese name such as 网上购物类, or
    English name such as "Online shopping"), its functions with the basic ones marked
    basic: true, and per function the items collected, each with purpose, refusable and
    separate_consent. An optional top-level collected: list names everything the app collects
    (from its privacy policy or SDK list). Items are named by key, English or Chinese name or
    alias (veil check items lists them).

    Findings:

      APP-001 error    non-necessary item the basic function cannot do without
      APP-002 warning  biometric item, but the type's scope has none
      APP-003 error    sensitive item without separate consent
      APP-004 error    collected item that no function explains
      APP-005 warning  item collected with no stated purpose

    An item counts as demanded unless refusable: true. Unknown types, items and fields are
    errors (exit 2), never ignored.

    Examples:

      veil check app docs/examples/app-maps.yaml     # compliant: exit 0

      veil check app docs/examples/app-shop.yaml     # greedy: exit 1

      veil check app app.json --format html -o app-report.html

      veil check app app.yaml -f sarif -o veil.sarif # code scanning
    """
)


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


APK_HELP = teach(
    """
    Read an Android package's manifest with androguard, map its permissions and hardware
    features (camera, biometric, location, contacts, SMS, microphone, phone state ...) to
    personal-information items, and compare them with the necessary scope of --type.

    Below targetSdkVersion 23 every permission is granted at install, so the user cannot refuse
    it and keep the app: access beyond the scope is an error (VEIL-APK-001). Runtime
    permissions can be denied, so access beyond the scope is a warning that the basic function
    must keep working without them (VEIL-APK-002). Biometric permissions or features for a type
    whose scope has no biometrics are warnings (VEIL-APK-003); a required hardware feature
    beyond the scope is a note (VEIL-APK-004). A package Android would refuse (not a ZIP, no
    or broken AndroidManifest.xml, an entry failing its CRC check, repeated entry names) is
    bad input: exit 2.

    Examples:

      veil check apk jamendo.apk --type 28    # online audio and video

      veil check apk maps.apk --type 地图导航类 --json

      veil check apk bank.apk -t "Mobile banking" -f sarif -o apk.sarif
    """
)


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


DEPLOYMENT_HELP = teach(
    """
    Check a face-recognition deployment (sales office camera, residential access gate, shop,
    office attendance, hotel, school, transport ...) against the 2025 facial-recognition
    measures, PIPL, the SPC provisions and the local rules of its city.

    The file holds one of two top-level keys. deployment: describes any site, every obligation
    stated explicitly; anything not declared counts as unmet (fail closed). veil_gate: is the
    configuration of a site that runs veil gate: Veil fills in what its gate guarantees
    (separate, withdrawable per-purpose consent; templates encrypted and crypto-shredded on
    withdrawal; faces of everyone else redacted and forgotten; ledger records), so Veil checks
    itself: a gate run with --mode none, or with a --match-threshold looser than the one Veil
    measured, fails.

    Checked: separate consent and withdrawal, notice and published rules, signage in public
    places, use beyond public security, an alternative to face recognition, storage in the
    device, retention, deletion on withdrawal, impact assessment, records kept 3 years, filing
    at 100,000 people, minors under 14, private spaces, anonymization of people who did not
    consent, coercion, security measures, a specific purpose; in Hangzhou, Tianjin, Nanjing
    and Kunming their local rules.

    Examples:

      veil check deployment docs/examples/deployment-sales-office.yaml

      veil check deployment docs/examples/deployment-residential-gate.yaml

      veil check deployment docs/examples/veil-gate.yaml -f html -o g.html
    """
)


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


TYPES_HELP = teach(
    """
    List the 39 app types of the Necessary-PI Provisions (Art. 5) with their basic function
    service, their necessary items (13 types need none) and the certainty of each entry. Use
    the number, the Chinese or the English name as an inventory's type or as --type.

    Examples:

      veil check types

      veil check types --json | jq '.[] | select(.necessary_items == [])'

    """
)


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


ITEMS_HELP = teach(
    """
    List the personal-information items an inventory may name: key, category, SENSITIVE for
    sensitive information (PIPL Art. 28: biometrics, whereabouts, financial accounts, health
    ...), English and Chinese names and aliases. Matching ignores case, spaces, hyphens and
    underscores.

    Examples:

      veil check items

      veil check items --json
    """
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
