"""Shared pieces of the ``veil ledger`` commands: the group, its options, and small helpers for
reading keys, opening the ledger and writing output (used by ``cli/ledger*.py``, ``cli/witness.py``
and ``cli/protocols.py``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from veil.errors import ConfigError
from veil.textsafe import safe_json

if TYPE_CHECKING:
    from veil.ledger import Ledger
    from veil.ledger.witness import Witness

ledger_app = typer.Typer(
    name="ledger",
    help=(
        "The verifiable trace ledger: an append-only RFC 9162 Merkle log of every processing of "
        "personal information, with signed C2SP checkpoints, witness cosignatures and offline "
        "proofs that operators, regulators and persons can each verify."
    ),
    no_args_is_help=True,
)

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///path.db, a file path, or postgresql://... "
        "(default: $VEIL_DB, else $VEIL_HOME/veil.db).",
        show_default=False,
    ),
]
Keys = Annotated[
    Path | None,
    typer.Option(
        "--keys", help="Ledger key folder (default: $VEIL_HOME/ledger).", show_default=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON result instead of text.")]
Witnesses = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A local witness folder (from `veil witness init`) or an HTTP witness URL that "
        "cosigns the checkpoint; repeat for several.",
        show_default=False,
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


def key_text(value: str, what: str) -> str:
    """A key given inline or as the path of a file holding it; ``what`` names the option."""
    path = Path(value).expanduser()
    if "+" not in value or path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(
                f"{what} {value!r} is neither a key nor a readable key file"
            ) from None
    return value.strip()


def open_ledger(db: str | None, keys: Path | None, create: bool = False) -> Ledger:
    """Open the ledger at ``db`` with the keys in ``keys`` (defaults from the environment)."""
    from veil.ledger import Ledger

    return Ledger.open(db, keys, create=create)


def open_witnesses(folders: list[str] | None) -> list[Witness]:
    """The local witnesses kept in these folders."""
    from veil.ledger.witness import Witness

    return [Witness.open(Path(f)) for f in folders or []]


def write_output(text: str, output: Path | None, overwrite: bool) -> None:
    """Write ``text`` to stdout, or atomically to ``output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from veil.core.atomic import atomic_output

    with atomic_output(output, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")


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


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, made safe for a terminal."""
    typer.echo(safe_json(json.dumps(data, indent=2, ensure_ascii=False)))
