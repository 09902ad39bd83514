"""The terminal side every command module shares: the help texts (package data under
``veil/cli/help``), the ``--json``, ``--output`` and ``--overwrite`` options, printing a result as
JSON or as terminal-safe lines and tables (:mod:`veil.core.shown`), writing output atomically,
reading an input file or stdin, and a progress bar on a terminal."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from veil.core.shown import Block, TextTable
from veil.errors import BadInputError
from veil.textsafe import safe_json, safe_markup, safe_text

if TYPE_CHECKING:
    from rich.table import Table

Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]
Out = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


@functools.cache
def help_text(name: str, **values: object) -> str:
    """The long help of a command or flag, e.g. ``ledger-verify`` (``veil/cli/help/NAME.txt``),
    its ``{fields}`` filled in from ``values`` when any are given."""
    from importlib import resources

    text = resources.files("veil.cli").joinpath("help", f"{name}.txt").read_text("utf-8").strip()
    return text.format(**values) if values else text


class ShownLines(Protocol):
    """A library result the CLI can show: ``as_dict()`` for ``--json``, ``lines()`` for text."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        ...

    def lines(self) -> list[str]:
        """The text form, one line each."""
        ...


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, made safe for a terminal."""
    typer.echo(safe_json(json.dumps(data, indent=2, ensure_ascii=False)))


def print_lines(lines: Iterable[str], *, err: bool = False) -> None:
    """Print each line with its control characters shown as visible escapes."""
    for line in lines:
        typer.echo(safe_text(line), err=err)


def emit(as_json: bool, data: Any, lines: Iterable[str]) -> None:
    """Print ``data`` as JSON (``--json``), else the text ``lines``."""
    if as_json:
        print_json(data)
    else:
        print_lines(lines)


def show(result: ShownLines, as_json: bool) -> None:
    """Print ``result`` as JSON (``--json``) or as its text lines."""
    emit(as_json, result.as_dict(), result.lines())


class ShownBlocks(Protocol):
    """A library result the CLI prints: ``to_json()`` for ``--json``, ``text()`` otherwise."""

    def to_json(self) -> object:
        """The ``--json`` form."""

    def text(self) -> list[Block]:
        """The lines and tables for a terminal."""


def present(result: ShownBlocks, as_json: bool = False) -> None:
    """Print ``result``: its JSON with ``as_json``, else its lines and tables."""
    if as_json:
        print_json(result.to_json())
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


def write_output(text: str, output: Path | None, overwrite: bool) -> None:
    """Write ``text`` to stdout, or atomically to ``output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from veil.core.atomic import atomic_output

    with atomic_output(output, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_bytes(source: Path | None) -> bytes:
    """The bytes of ``source``, or of stdin when it is ``None`` or ``-``."""
    try:
        if source is None or str(source) == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            return stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
        return source.read_bytes()
    except OSError as exc:
        raise BadInputError(f"{source}: cannot read: {exc.strerror or exc}") from None


def text_lines(source: Path | None) -> Iterator[str]:
    """The lines of a UTF-8 text file, or of stdin when it is ``None`` or ``-``, read lazily."""
    if source is None or str(source) == "-":
        yield from sys.stdin
        return
    try:
        with source.open(encoding="utf-8") as fh:
            yield from fh
    except OSError as exc:
        raise BadInputError(f"{source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{source}: not UTF-8 text") from None


@contextmanager
def progress(label: str, shown: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (stderr) when ``shown``, nothing otherwise."""
    if not shown or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick
