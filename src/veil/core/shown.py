"""What an operation shows a person: JSON-ready data and text (lines and tables).

Library operations that the CLI and the service both call return a typed result with
``to_json()`` (the ``--json`` form) and ``text()``: a list of :data:`Block` (a line, or a
:class:`TextTable`). The CLI prints lines and renders tables on the terminal; a page can lay the
same rows out as HTML. Text here is plain (no markup, no escapes): whoever prints it makes it safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel


@dataclass(frozen=True)
class TextTable:
    """Rows of plain text under optional column names (none: a label/value list), a title, a
    caption; ``numeric`` columns are right-aligned; a ``tab_separated`` table is printed as one
    tab-separated line per row (for scripts), without title or header."""

    rows: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...] = ()
    title: str = ""
    caption: str = ""
    numeric: bool = False
    tab_separated: bool = False


Block = str | TextTable

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ModelsShown(Generic[M]):
    """Models an operation returned (records, purposes) and the text that reports it.

    ``to_json()`` is the models' JSON form: a list, or the one model when ``single``.
    """

    items: tuple[M, ...]
    blocks: tuple[Block, ...]
    single: bool = False

    def to_json(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The items as JSON-ready values (one object when ``single``, else a list)."""
        data = [item.model_dump(mode="json") for item in self.items]
        return data[0] if self.single else data

    def text(self) -> list[Block]:
        """The lines and tables that report the operation."""
        return list(self.blocks)
