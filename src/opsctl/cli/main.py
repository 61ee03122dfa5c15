"""The ``opsctl`` entry point: global options, the root command, error handling."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import typer

from opsctl import __version__
from opsctl.cli.output import warn
from opsctl.cli.state import options, reset
from opsctl.cli.tree import command_to_build, invoked_command, register
from opsctl.errors import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    DefinitionError,
    InvalidField,
    OpsctlError,
    UsageError,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opsctl {__version__}")
        raise typer.Exit()


def root(
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        envvar="OPSCTL_WORKSPACE",
        help="Folder holding .opsctl/ (default: search upwards from here).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run your product-operations framework from the terminal and from CI."""
    reset()
    options.workspace = workspace
    options.debug = debug


def build_app(only: str | None = None) -> typer.Typer:
    """The root command with the command named ``only`` (every command when None or unknown)."""
    app = typer.Typer(
        name="opsctl",
        help=(
            "Run your product-operations framework: guided checklists, gates with "
            "sign-offs, CI checks and review reports.\n\n"
            "Example: opsctl frameworks list"
        ),
        epilog=(
            "Exit codes: 0 ok; 1 a check failed (something demanded is missing, a sign-off "
            "or gate refused, a review overdue, a history that does not hold); 2 bad input "
            "or an input opsctl cannot read (the store is left as it was); 70 a bug in "
            "opsctl; 130 interrupted."
        ),
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    register(app, only)
    return app


def __getattr__(name: str) -> typer.Typer:
    """``opsctl.cli.main.app``: the whole command tree, for library callers and tests."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every error into one line and a documented exit code.

    Usage errors are one line (exit 2); opsctl's own errors carry
    their exit code; anything else is a bug, reported without a traceback
    unless ``--debug`` is given.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        _refuse_undecodable(args)
        app = build_app(command_to_build(args))
        code = app(args=args, prog_name="opsctl", standalone_mode=False)
    except typer.TyperException as exc:
        _usage_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        warn("opsctl: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED)
    except Exception as exc:
        if "--debug" in args:
            traceback.print_exc()
        sys.exit(_report(exc, args, "--debug" in args))
    sys.exit(code if isinstance(code, int) else 0)


def _refuse_undecodable(args: list[str]) -> None:
    """An argument with bytes that are not UTF-8 is refused before it can reach a file."""
    for position, arg in enumerate(args, start=1):
        if any("\udc80" <= character <= "\udcff" for character in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise UsageError(f"argument {position} ({shown!r}) is not valid UTF-8")


def _print_error(line: str) -> None:
    warn(line)


def _report(exc: Exception, args: list[str], debug: bool) -> int:
    """Print an error as the user should see it; returns the exit code."""
    if isinstance(exc, DefinitionError):
        for diagnostic in exc.diagnostics:
            _print_error(str(diagnostic))
        files = len({diagnostic.path for diagnostic in exc.diagnostics})
        count = len(exc.diagnostics)
        _print_error(
            f"opsctl: error: {count} problem{'s' if count != 1 else ''} in "
            f"{files} file{'s' if files != 1 else ''}"
        )
        return exc.exit_code
    if isinstance(exc, OpsctlError):
        problems = [_in_flags(exc, args)] if isinstance(exc, InvalidField) else exc.problems
        for problem in problems:
            _print_error(f"opsctl: {exc.topic}: {problem}")
        return exc.exit_code
    _print_error(
        "opsctl: internal error (traceback above); please report it"
        if debug
        else f"opsctl: internal error: {type(exc).__name__}: {exc} "
        "(run again with --debug for the traceback, and please report it)"
    )
    return EXIT_INTERNAL


def _in_flags(exc: InvalidField, args: list[str]) -> str:
    """An invalid field named by the flag the user typed for it (``--month``), if any."""
    flag = "--" + exc.field.replace("_", "-")
    command = typer.main.get_command(build_app(invoked_command(args)))
    for arg in args:
        subcommands = getattr(command, "commands", {})
        if arg in subcommands:
            command = subcommands[arg]
    flags = {opt for param in command.params for opt in getattr(param, "opts", ())}
    return f"{flag if flag in flags else exc.field}: {exc.problem}"


def _usage_error(exc: typer.TyperException) -> NoReturn:
    """A wrong flag or argument: one line naming it, exit 2 (help alone when no args)."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        typer.echo(exc.format_message(), err=True)
        sys.exit(EXIT_USAGE)
    context = getattr(exc, "ctx", None)
    command = getattr(context, "command_path", "opsctl")
    message = " ".join(exc.format_message().split())
    warn(f"opsctl: error: {message} (see '{command} --help')")
    sys.exit(exc.exit_code)
