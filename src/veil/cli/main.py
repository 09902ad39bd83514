"""Entry point of the ``veil`` command.

Each command group lives in its own module under ``veil.cli`` and exposes
``register(app: typer.Typer) -> None``. Heavy libraries (onnxruntime, PyAV, androguard, ...) are
imported inside the commands, so ``veil --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from veil.cli.output import help_text
from veil.core.signals import TERMINATED_EXIT, Terminated, terminate_gracefully
from veil.errors import VeilError
from veil.textsafe import safe_text

COMMANDS = "blur eval gate consent stream ledger witness protocols check serve"  # in --help order
COMMAND_MODULES = tuple(f"veil.cli.{name}" for name in COMMANDS.split())


def build_app() -> typer.Typer:
    """Build the Typer application with every command group that is installed."""
    app = typer.Typer(
        name="veil",
        help=help_text("veil"),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False,
            "--version",
            help="Print Veil's version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ) -> None:
        pass

    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(app)
    return app


def _print_version(value: bool) -> None:
    """Eager ``--version``: print Veil's version and exit 0 before click asks for a command."""
    if value:
        from veil import __version__  # the distribution's version (tests/cli/test_version.py)

        print(f"veil {__version__}")
        raise typer.Exit(0)


def error_line(exc: BaseException) -> str:
    """Return the one-line message printed for an error."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"veil: error: {safe_text(text)}"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; expected errors become one line on stderr and an exit status."""
    app = build_app()
    try:
        with terminate_gracefully():
            status = app(args=argv, standalone_mode=False)
    except VeilError as exc:
        print(error_line(exc), file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("veil: interrupted", file=sys.stderr)
        sys.exit(130)
    except Terminated:
        print("veil: terminated", file=sys.stderr)
        sys.exit(TERMINATED_EXIT)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        # typer >= 0.2x raises its own vendored click's exceptions (typer.TyperException)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if isinstance(exc, typer.TyperException) and callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if isinstance(exc, click.exceptions.Abort | typer.Abort):
            sys.exit(1)
        raise
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
