"""The ground floor's import rules, read from the source with ``ast`` (nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports, anywhere (inside functions too), relative ones resolved.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule).
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def imported_modules(path: Path) -> set[str]:
    """The modules the source file ``path`` imports."""
    return imports_of(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def modules_under(package: str) -> list[Path]:
    return sorted((SRC / package.replace(".", "/")).rglob("*.py"))


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize(
    ("package", "forbidden"), [("veil.media", "veil.vision"), ("veil.vision", "veil.media")]
)
def test_media_and_vision_never_import_each_other(package: str, forbidden: str) -> None:
    files = modules_under(package)
    assert files, package
    offenders = {
        module_name(path): sorted(n for n in imported_modules(path) if within(n, forbidden))
        for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_ground_floor_imports_nothing_of_veil_but_errors() -> None:
    files = modules_under("veil.core")
    assert len(files) >= 5
    allowed = ("veil.core", "veil.errors")
    offenders = {
        module_name(path): sorted(
            n
            for n in imported_modules(path)
            if within(n, "veil") and not any(within(n, a) for a in allowed)
        )
        for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_checker_sees_relative_and_nested_imports() -> None:
    source = (
        "import numpy\n"
        "def f():\n"
        "    from ..vision.policy import Frame\n"
        "    import veil.vision.redact\n"
        "    from . import images\n"
    )
    found = imports_of(source, "veil.media.sample")
    assert {"veil.vision.policy.Frame", "veil.vision.redact", "veil.media.images"} <= found
    assert "veil.vision.detectors" in imports_of("from . import detectors", "veil.vision", True)
