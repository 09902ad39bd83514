"""The terminal side every command module shares: the help texts (package data under
``veil/cli/help``), the ``--json``, ``--output`` and ``--overwrite`` options, printing a result as
JSON or as terminal-safe lines, writing output atomically, reading an input file or stdin, and a
progress bar on a terminal."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer

from veil.errors import BadInputError
from veil.textsafe import safe_json, safe_text

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


class Shown(Protocol):
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


def show(result: Shown, as_json: bool) -> None:
    """Print ``result`` as JSON (``--json``) or as its text lines."""
    emit(as_json, result.as_dict(), result.lines())


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
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
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
