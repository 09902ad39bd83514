"""The README's quick start names only files that ship with the repository."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPO_FILE_SUFFIXES = {".yaml", ".yml", ".json", ".toml", ".md", ".py", ".txt", ".cfg"}
OUTPUT_FLAGS = {"-o", "--output", ">", "--boxes-out"}


def quick_start_commands(readme: str) -> list[list[str]]:
    """The shell commands of the README's "Quick start" section, split into words."""
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            code = line.split("#", 1)[0].strip()
            if code:
                commands.append(shlex.split(code))
    return commands


def named_repo_files(commands: list[list[str]]) -> list[str]:
    """Arguments that name a repository file: a repo top-level folder or a config/doc suffix.

    Media and folders the reader brings (``photos/``, ``clip.mp4``) and outputs are not checked.
    """
    top = {p.name for p in REPO.iterdir() if not p.name.startswith(".")}
    named = []
    for words in commands:
        for previous, word in zip(["", *words], words, strict=False):
            if previous in OUTPUT_FLAGS or word.startswith("-") or word.startswith("$"):
                continue
            if Path(word).suffix.lower() in REPO_FILE_SUFFIXES or word.split("/")[0] in top:
                named.append(word)
    return named


def test_quick_start_names_only_files_that_ship() -> None:
    commands = quick_start_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert commands, "no quick start found"
    named = named_repo_files(commands)
    assert named, "the quick start names no repository file; this test would check nothing"
    missing = [name for name in named if not (REPO / name).exists()]
    assert missing == [], f"README quick start names files that do not ship: {missing}"


def test_the_checker_sees_a_missing_file() -> None:
    commands = [["veil", "check", "app", "inventory.yaml", "--format", "sarif", ">", "x.sarif"]]
    assert named_repo_files(commands) == ["inventory.yaml"]
