"""Long help texts of commands, kept as package data in ``veil/cli/help/NAME.txt``."""

from __future__ import annotations

from importlib import resources


def help_text(name: str) -> str:
    """The help text ``help/<name>.txt`` (UTF-8), as written."""
    return resources.files("veil.cli").joinpath("help", f"{name}.txt").read_text("utf-8")
