"""Printing results: Rich for people, versioned JSON for programs."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, TextIO

import typer

from opsctl.text import strip_controls

if TYPE_CHECKING:
    from rich.console import Console

    from opsctl.actions.results import Result

PIPE_WIDTH = 120
"""Tables written to a pipe or file are not squeezed into 80 columns."""


class OutputFormat(str, Enum):
    """How a read command prints its result."""

    TEXT = "text"
    JSON = "json"


FormatOption = typer.Option(
    OutputFormat.TEXT, "--format", "-f", help="text for people, json for programs."
)

_console: Console | None = None
_err_console: Console | None = None


def console() -> Console:
    """The stdout console; colour follows the terminal and NO_COLOR."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False)
        if not _console.is_terminal:
            _console.width = max(_console.width, PIPE_WIDTH)
    return _console


def err_console() -> Console:
    """The stderr console, for warnings and errors."""
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _err_console


def is_terminal(stream: TextIO) -> bool:
    """Whether stdout or stderr is a terminal as Rich sees it (colour, progress bars, tables).

    Rich takes a stream for a terminal when ``TTY_COMPATIBLE=1`` or a
    non-empty ``FORCE_COLOR`` says so, or when it is a TTY. Where none of
    these holds (a pipe or file: CI, scripts) the answer is no without
    importing Rich; otherwise Rich's own ``is_terminal`` decides.
    """
    forced = os.environ.get("TTY_COMPATIBLE") == "1" or bool(os.environ.get("FORCE_COLOR"))
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if not (forced or tty):
        return False
    return (err_console() if stream is sys.stderr else console()).is_terminal


def warn(message: object) -> None:
    """Print one plain line on stderr (a warning or an error), without loading Rich."""
    sys.stderr.write(plain(message) + "\n")


def plain(text: object) -> str:
    """User or definition text made safe for a terminal: control characters removed.

    Titles, notes and reasons arrive through git from other people; an escape
    sequence in one must not repaint or retitle a teammate's terminal.
    """
    return strip_controls(text)


def safe(text: object) -> str:
    """User text for a Rich markup string: control characters removed, markup escaped."""
    from rich.markup import escape

    return escape(plain(text))


def say(message: object) -> None:
    """Print a plain message (no markup, no wrapping) on stdout, without loading Rich."""
    sys.stdout.write(plain(message) + "\n")


def emit(result: Result) -> None:
    """Print a use case's result in the versioned JSON envelope (docs/json.md)."""
    sys.stdout.write(result.to_json())


def print_columns(headers: list[str], rows: list[list[str]]) -> None:
    """Print aligned plain-text columns, like ``kubectl get``.

    Listings can be thousands of rows long; Rich's table layout costs about
    half a millisecond a row, this costs next to nothing, and the output is
    easy to ``grep`` and ``cut``. Cells are made safe (controls removed,
    whitespace runs folded) only when some cell needs it.
    """
    joined = " ".join(cell for row in rows for cell in row)
    if not joined.isprintable() or "  " in joined or joined != joined.strip():
        rows = [[" ".join(plain(cell).split()) for cell in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [headers, *rows]
    ]
    sys.stdout.write("\n".join(lines) + "\n")
