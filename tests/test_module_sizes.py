"""Modules stay small enough to read (issue 12): a thin CLI, no module over 400 lines."""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "veil"
MODULES = sorted(SRC.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_CLI_MODULE_LINES = 300
MAX_CLI_LINES = 2000


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_under_its_line_limit(path: Path) -> None:
    limit = MAX_CLI_MODULE_LINES if path.parent.name == "cli" else MAX_MODULE_LINES
    assert _lines(path) < limit, f"{path.relative_to(SRC)}: {_lines(path)} lines (limit {limit})"


def test_the_cli_as_a_whole_stays_thin() -> None:
    total = sum(_lines(path) for path in (SRC / "cli").glob("*.py"))
    assert total < MAX_CLI_LINES, f"src/veil/cli: {total} lines (limit {MAX_CLI_LINES})"


def test_no_cli_command_glues_flags_with_locals() -> None:
    for path in sorted((SRC / "cli").glob("*.py")):
        assert "locals()" not in path.read_text(encoding="utf-8"), path.name
