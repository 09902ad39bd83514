"""Test modules follow one pattern: ``tests/<area>/test_<subject>.py``.

Every folder of tests is a package (helpers import as ``tests.<area>.<helper>``, so two areas may
both have a ``test_cli.py``); a test module holds tests and does not repeat its folder's name
(``tests/ledger/test_cli.py``, not ``test_ledger_cli.py``); a helper module is not named
``test_*`` and holds no test (pytest would never run it); a test module takes shared helpers
from a helper module or a conftest, not from another test module.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Imports between test modules in folders that concurrent changes own (issues 13 and 16): each
# goes to a helper module when that change merges. Nothing else is allowed to import one.
TEST_IMPORTS_OWNED_ELSEWHERE = {
    "scale/test_ray_blur.py",
    "service/test_openapi_conformance.py",
    "service/test_serve_demo.py",
}


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _has_tests(tree: ast.Module) -> bool:
    return any(
        (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test"))
        or (isinstance(n, ast.ClassDef) and n.name.startswith("Test"))
        for n in tree.body
    )


def _imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_every_test_folder_is_a_package() -> None:
    folders = {p.parent for p in _modules()}
    assert len(folders) > 5
    missing = sorted(str(f.relative_to(TESTS)) for f in folders if not (f / "__init__.py").exists())
    assert not missing, f"test folders without __init__.py: {missing}"


def test_test_modules_hold_tests_and_helpers_hold_none() -> None:
    wrong: list[str] = []
    for path in _modules():
        rel = path.relative_to(TESTS).as_posix()
        has_tests = _has_tests(ast.parse(path.read_text(encoding="utf-8")))
        if path.name.startswith("test_") and not has_tests:
            wrong.append(f"{rel}: named test_* but holds no test")
        if not path.name.startswith("test_") and has_tests and path.name != "conftest.py":
            wrong.append(f"{rel}: holds tests pytest never collects (not named test_*)")
    assert not wrong, "\n".join(wrong)


def test_test_module_names_do_not_repeat_their_folder() -> None:
    wrong = []
    for path in _modules():
        folder = path.parent.name
        if (
            path.parent == TESTS
            or path.stem == f"test_{folder}"
            or not path.name.startswith("test_")
        ):
            continue  # test_pipeline.py in tests/pipeline/ tests veil/pipeline.py: its subject
        if path.stem.startswith(f"test_{folder}_") or path.stem.endswith(f"_{folder}"):
            wrong.append(path.relative_to(TESTS).as_posix())
    assert not wrong, f"name these test_<subject>.py within their folder: {wrong}"


def test_test_modules_do_not_import_each_other() -> None:
    wrong = []
    for path in _modules():
        rel = path.relative_to(TESTS).as_posix()
        if rel in TEST_IMPORTS_OWNED_ELSEWHERE:
            continue
        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name.rpartition(".")[2].startswith("test_"):
                wrong.append(f"{rel} imports {name}")
    assert not wrong, "move shared helpers to a helper module:\n" + "\n".join(wrong)
