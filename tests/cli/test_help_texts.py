"""The commands' help texts are package data (``veil/cli/help/*.txt``, issue 12): every text a
command names exists and ships in the wheel, none is left unused, and ``--help`` shows it."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from veil.cli.main import main
from veil.cli.output import help_text

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "src" / "veil" / "cli"
NAMED = re.compile(r'help_text\(f?"([a-z_-]+)(\{name\})?"[,)]')  # blur: help_text("blur", x=...)


def _named() -> set[str]:
    names: set[str] = set()
    for path in CLI.glob("*.py"):
        for name, templated in NAMED.findall(path.read_text(encoding="utf-8")):
            if templated:  # check.py: help_text(f"check-{name}") for each check command
                names |= {f"{name}{c}" for c in ("app", "apk", "deployment", "types", "items")}
            else:
                names.add(name)
    return names


def test_every_named_help_text_exists_and_every_file_is_named() -> None:
    files = {p.stem for p in (CLI / "help").glob("*.txt")}
    named = _named()
    assert len(named) >= 20  # the scan found the commands (a broken pattern would pass vacuously)
    assert named == files


def test_help_texts_ship_as_package_data() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["veil"]
    for path in (CLI / "help").glob("*.txt"):
        rel = path.relative_to(ROOT / "src" / "veil").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), rel


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["check"], "check"),
        (["check", "apk"], "check-apk"),
        (["ledger", "verify"], "ledger-verify"),
    ],
)
def test_help_shows_the_text(
    capsys: pytest.CaptureFixture[str], args: list[str], name: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*args, "--help"])
    assert info.value.code == 0
    shown = " ".join(capsys.readouterr().out.replace("│", " ").split())
    first = help_text(name).split("\n\n")[0]
    assert " ".join(first.split()) in shown
