"""The ``opsctl`` entry point: global options, command registration, error handling."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import typer

from opsctl import __version__
from opsctl.cli import (
    audit,
    check,
    frameworks,
    gitcmd,
    items,
    metric,
    portfolio,
    report,
    runs,
    team,
    validate,
    walk,
)
from opsctl.cli.output import err_console
from opsctl.cli.state import options, reset
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
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opsctl {__version__}")
        raise typer.Exit()


@app.callback()
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


app.add_typer(frameworks.app, name="frameworks")
app.command()(validate.validate)
app.command()(validate.schema)
for command in (runs.init, runs.start, runs.runs, runs.status, runs.log, walk.walk):
    app.command()(command)
for command in (
    items.done,
    items.skip,
    items.block,
    items.reopen,
    items.advance,
    items.approve,
    items.revoke,
):
    app.command()(command)
app.command()(runs.link)
app.command()(runs.label)
app.command()(runs.upgrade)
app.command()(check.check)
app.command()(runs.waivers)
app.add_typer(metric.app, name="metric")
app.add_typer(report.app, name="report")
app.add_typer(report.review_app, name="review")
app.command()(report.demo)
app.add_typer(portfolio.app, name="portfolio")
app.add_typer(team.app, name="team")
app.add_typer(audit.app, name="audit")
app.add_typer(gitcmd.app, name="git")
app.command("merge-file")(gitcmd.merge_file)
app.command("sync-check")(gitcmd.sync_check)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every error into one line and a documented exit code.

    Usage errors are one line (exit 2); opsctl's own errors carry
    their exit code; anything else is a bug, reported without a traceback
    unless ``--debug`` is given.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        _refuse_undecodable(args)
        code = app(args=args, prog_name="opsctl", standalone_mode=False)
    except typer.TyperException as exc:
        _usage_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        err_console().print("opsctl: interrupted", markup=False)
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
    err_console().print(line, markup=False, highlight=False)


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
    command = typer.main.get_command(app)
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
    err_console().print(
        f"opsctl: error: {message} (see '{command} --help')", markup=False, highlight=False
    )
    sys.exit(exc.exit_code)
