"""``veil consent purpose add|list``: declared processing purposes."""

from __future__ import annotations

from typing import Annotated

import typer

from veil.cli.consent_common import Db, Json, emit
from veil.textsafe import safe_text


def purpose_add(
    name: Annotated[str, typer.Argument(help="Purpose name, e.g. access-gate.")],
    description: Annotated[str, typer.Option("--description", "-d", help="What it is for.")] = "",
    access: Annotated[
        bool, typer.Option("--access", help="An access purpose (entry to a place or service).")
    ] = False,
    alternative: Annotated[
        str | None,
        typer.Option(
            "--alternative", help="The non-biometric alternative offered (required with --access)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Redefine an existing purpose.")
    ] = False,
    db: Db = None,
    json_output: Json = False,
) -> None:
    """Declare a processing purpose. Access purposes must name a non-biometric alternative."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        purpose = registry.declare_purpose(
            name, description=description, access=access, alternative=alternative, replace=replace
        )
    if json_output:
        emit(purpose.model_dump(mode="json"))
    else:
        print(f"purpose {purpose.name} declared" + (" (access)" if purpose.access else ""))


def purpose_list(db: Db = None, json_output: Json = False) -> None:
    """List declared purposes."""
    from veil.consent.session import open_registry

    with open_registry(db) as registry:
        purposes = registry.purposes()
    if json_output:
        emit([p.model_dump(mode="json") for p in purposes])
        return
    for p in purposes:
        extra = f" (access; alternative: {p.alternative})" if p.access else ""
        print(safe_text(f"{p.name}{extra}{': ' + p.description if p.description else ''}"))
