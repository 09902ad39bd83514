"""Print what a library operation shows: its JSON form (``--json``) or its text (lines and
tables, :mod:`veil.core.shown`), every piece of it made safe for a terminal first."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Protocol

from veil.core.shown import Block, TextTable
from veil.textsafe import safe_json, safe_markup, safe_text

if TYPE_CHECKING:
    from rich.table import Table


class Shown(Protocol):
    """A library result the CLI prints: ``to_json()`` for ``--json``, ``text()`` otherwise."""

    def to_json(self) -> object:
        """The ``--json`` form."""

    def text(self) -> list[Block]:
        """The lines and tables for a terminal."""


def emit(data: object) -> None:
    """Print ``data`` as indented JSON on stdout, made safe for a terminal."""
    sys.stdout.write(safe_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def present(result: Shown, as_json: bool = False) -> None:
    """Print ``result``: its JSON with ``as_json``, else its lines and tables."""
    if as_json:
        emit(result.to_json())
        return
    for block in result.text():
        if isinstance(block, str):
            print(safe_text(block))
        elif block.tab_separated:
            for row in block.rows:
                print("\t".join(safe_text(cell) for cell in row))
        else:
            from rich.console import Console

            Console(highlight=False).print(rich_table(block))


def rich_table(table: TextTable) -> Table:
    """``table`` as a rich table (a label/value list when it has no columns), text escaped."""
    from rich.table import Table

    if table.columns:
        out = Table(
            title=safe_markup(table.title) or None, caption=safe_markup(table.caption) or None
        )
    else:
        out = Table(show_header=False, box=None)
        out.add_column(style="bold")
    for name in table.columns or ("",):
        out.add_column(name, justify="right" if table.numeric else "left", overflow="fold")
    for row in table.rows:
        out.add_row(*(safe_markup(cell) for cell in row))
    return out
