"""Shared pieces of the ``veil consent`` commands: the groups, their options, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from veil.textsafe import safe_json

consent_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
purpose_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="VEIL_DB",
        help="Database URL (sqlite:///path or postgresql://...). Default: $VEIL_HOME/veil.db.",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
Subject = Annotated[
    str, typer.Option("--subject", "-s", help="The person's identifier in your system.")
]


def emit(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout, made safe for a terminal."""
    sys.stdout.write(safe_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def console() -> Any:
    """A rich console on stdout without automatic highlighting."""
    from rich.console import Console

    return Console(highlight=False)
