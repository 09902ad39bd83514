"""Read a YAML or JSON file the checks take as input, keeping line numbers for findings.

Fail closed: unreadable, oversized, non-UTF-8, empty or malformed files, duplicate keys,
documents of more than ``MAX_NODES`` values (YAML alias bombs) and non-mapping documents all
raise :class:`CheckInputError` with a one-line message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from veil.rules.models import CheckInputError

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceFile:
    """A parsed input file: its data and the 1-based line of each node path."""

    path: Path
    data: dict[str, Any]
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int | None:
        """Line of the deepest known node along ``path`` (None when unknown)."""
        key: PathKey = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], where: str) -> None:
    if len(lines) >= MAX_NODES:  # also stops alias bombs ("billion laughs") before they expand
        raise CheckInputError(f"{where} has more than {MAX_NODES:,} values (YAML alias bomb?)")
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise CheckInputError(
                    f"{where}: line {key_node.start_mark.line + 1}: duplicate key {key!r}"
                )
            seen.add(key)
            _walk(value_node, (*path, key), lines, where)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*path, index), lines, where)


def read_source(path: Path, what: str) -> SourceFile:
    """Parse ``path`` (YAML, or JSON when it ends in .json) into a mapping with line numbers."""
    where = str(path)
    text = _read_text(path, what)
    lines: dict[PathKey, int] = {}
    if path.suffix.lower() == ".json":
        data = _parse_json(text, what, where, lines)
    else:
        data = _parse_yaml(text, what, where, lines)
    if not isinstance(data, dict):
        raise CheckInputError(f"{what} {where} must be a mapping (key: value) at the top level")
    return SourceFile(path=path, data=data, lines=lines)


def _read_text(path: Path, what: str) -> str:
    """The file's non-empty UTF-8 text (a BOM dropped); CheckInputError otherwise."""
    where = str(path)
    try:
        if not path.is_file():
            raise CheckInputError(f"{what} {where} does not exist or is not a file")
        if path.stat().st_size > MAX_BYTES:
            raise CheckInputError(f"{what} {where} is larger than {MAX_BYTES // 1024 // 1024} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise CheckInputError(f"{what} {where} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CheckInputError(f"{what} {where} is not UTF-8 text") from exc
    if not text.strip():
        raise CheckInputError(f"{what} {where} is empty")
    return text


def _parse_json(text: str, what: str, where: str, lines: dict[PathKey, int]) -> Any:
    """JSON ``text`` as data; fills ``lines`` from PyYAML's view of it when it can."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckInputError(
            f"{what} {where}: invalid JSON at line {exc.lineno}: {exc.msg}"
        ) from exc
    try:  # JSON is YAML for line numbers; if PyYAML disagrees, findings just lack lines
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _walk(node, (), lines, where)
    except yaml.YAMLError:
        lines.clear()
    return data


def _parse_yaml(text: str, what: str, where: str, lines: dict[PathKey, int]) -> Any:
    """One YAML document as data (duplicate keys rejected), filling ``lines``."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise CheckInputError(f"{what} {where} is empty")
            _walk(node, (), lines, where)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}" if mark else ""
        raise CheckInputError(f"{what} {where}: invalid YAML{at}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise CheckInputError(f"{what} {where}: invalid YAML: {exc}") from exc


def validation_message(
    exc: ValidationError, source: SourceFile, what: str, prefix: PathKey = ()
) -> str:
    """One line naming the invalid fields of ``source`` (under ``prefix``) and their lines."""
    parts = []
    for error in exc.errors()[:3]:
        loc = (*prefix, *(p for p in error["loc"] if isinstance(p, str | int)))
        field_name = ".".join(str(p) for p in loc) or "(top level)"
        line = source.line(*loc)
        at = f"line {line}: " if line else ""
        parts.append(f"{at}{field_name}: {error['msg']}")
    more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return f"{what} {source.path}: " + "; ".join(parts) + more
