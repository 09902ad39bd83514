"""Commands parse into typed options objects (veil.cli.parsing): one declaration per flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from veil.batch_run import BatchOptions
from veil.cli.media_flags import FLAGS, View
from veil.cli.parsing import parses
from veil.media_options import DEFAULTS, MediaOptions, Precision
from veil.pipeline import AnonymizeOptions
from veil.vision.redact import RedactionMode


@dataclass(frozen=True)
class Inner:
    controller: str | None = None
    quiet: bool = False


@dataclass(frozen=True)
class Outer:
    inputs: tuple[Path, ...]
    inner: Inner = field(default_factory=Inner)
    name: str = "camera"
    options: AnonymizeOptions = field(default_factory=AnonymizeOptions)


@dataclass(frozen=True)
class Unknown:
    not_a_flag: int = 0


def app_for(command: Callable[..., None]) -> typer.Typer:
    app = typer.Typer()
    app.command()(command)
    app.command("other")(lambda: None)  # two commands: Typer keeps the command's name
    return app


def test_nested_objects_are_rebuilt_from_their_flags(tmp_path: Path) -> None:
    seen: list[Outer] = []

    @parses(flags={"name": typer.Option("--name")}, skip=["options.tiles"])
    def command(outer: Outer) -> None:
        seen.append(outer)

    args = ["a.jpg", "b.jpg", "--controller", "Acme", "--name", "x", "-t", "0.3", "-q"]
    result = CliRunner().invoke(app_for(command), ["command", *args, "--mode", "pixelate"])
    assert result.exit_code == 0, result.output
    (outer,) = seen
    assert outer.inputs == (Path("a.jpg"), Path("b.jpg"))  # Typer's list, the field's tuple
    assert outer.inner == Inner(controller="Acme", quiet=True) and outer.name == "x"
    # an AnonymizeOptions field is parsed as MediaOptions, its flag form
    assert outer.options == MediaOptions(thresh=0.3, mode=RedactionMode.PIXELATE).options()
    refused = CliRunner().invoke(app_for(command), ["command", "a.jpg", "--tiles"])
    assert refused.exit_code == 2  # skipped: no such flag


def test_help_shows_each_flag_once_with_the_library_default() -> None:
    @parses(defaults={"crf": 30})
    def command(options: BatchOptions, view: View) -> None:
        raise AssertionError("not called for --help")

    result = CliRunner().invoke(app_for(command), ["command", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = result.output
    for name in ("--thresh", "--mask-scale", "--precision", "--ray-workers", "--json", "--quiet"):
        assert text.count(f" {name} ") == 1, name
    assert f"[default: {DEFAULTS['thresh']}]" in text and "[default: 30]" in text
    assert f"[default: {Precision.AUTO}]" in text


def test_undeclared_and_doubled_fields_are_refused_when_the_command_is_defined() -> None:
    with pytest.raises(KeyError, match="not_a_flag"):

        @parses()
        def command(options: Unknown) -> None:
            pass

    with pytest.raises(TypeError, match="two flags fill in 'quiet'"):

        @parses()
        def twice(view: View, inner: Inner) -> None:
            pass


def test_every_shared_flag_fills_in_a_field() -> None:
    fields = set(MediaOptions.__dataclass_fields__) | set(BatchOptions.__dataclass_fields__)
    fields |= set(View.__dataclass_fields__)
    assert set(FLAGS) == fields - {"media"}
