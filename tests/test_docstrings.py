"""Every public module, class, function and method in src/veil has a docstring.

Public: a module whose dotted path has no part starting with ``_`` (``__init__`` counts as its
package), a top-level class or function of such a module whose name has no leading ``_``, and a
method of such a class whose name has no leading ``_`` (dunders included in that: they are
private by this rule). Property setters count as their own definitions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


Definition = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _public_module(path: Path) -> bool:
    parts = path.relative_to(SRC).with_suffix("").parts
    return not any(p.startswith("_") and p != "__init__" for p in parts)


def _definitions(tree: ast.Module) -> list[tuple[str, Definition]]:
    """The module and its public top-level definitions, methods of public classes included."""
    found: list[tuple[str, Definition]] = [("(module)", tree)]
    for node in tree.body:
        if not isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name.startswith("_"):
            continue
        found.append((node.name, node))
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(
                    member, ast.FunctionDef | ast.AsyncFunctionDef
                ) and not member.name.startswith("_"):
                    found.append((f"{node.name}.{member.name}", member))
    return found


def missing_docstrings(root: Path) -> tuple[int, list[str]]:
    """How many public definitions there are under ``root``, and those without a docstring."""
    total = 0
    missing: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if not _public_module(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for name, node in _definitions(tree):
            total += 1
            if not ast.get_docstring(node):
                line = getattr(node, "lineno", 1)
                missing.append(f"{rel}:{line} {name}")
    return total, missing


def test_every_public_definition_has_a_docstring() -> None:
    total, missing = missing_docstrings(SRC / "veil")
    assert total > 1000  # the walk found the package (a wrong root would pass vacuously)
    assert not missing, f"{len(missing)} of {total} public definitions lack a docstring:\n" + (
        "\n".join(missing)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\n", ["(module)"]),
        ('"""Doc."""\ndef f() -> None:\n    pass\n', ["f"]),
        ('"""Doc."""\nclass C:\n    """Doc."""\n\n    def m(self) -> None: ...\n', ["C.m"]),
        ('"""Doc."""\ndef _f() -> None:\n    pass\nclass _C:\n    def m(self) -> None: ...\n', []),
        (
            '"""Doc."""\nclass C:\n    """Doc."""\n\n    def __eq__(self, o: object) -> bool: ...\n',
            [],
        ),
    ],
)
def test_the_rule_counts_what_it_says(source: str, expected: list[str]) -> None:
    names = [name for name, node in _definitions(ast.parse(source)) if not ast.get_docstring(node)]
    assert names == expected
