"""The error types of opsctl, each carrying the exit code the CLI reports.

Core modules raise these; the CLI catches them once, prints their message
and exits with their code. Nothing here prints.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

EXIT_OK = 0
EXIT_FAILED = 1
"""A check failed: incomplete items, an unmet gate, an overdue review."""
EXIT_USAGE = 2
"""Bad input: a malformed file, an unknown run or item, a corrupt store, a wrong flag."""
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70
"""A bug in opsctl (EX_SOFTWARE)."""


class OpsctlError(Exception):
    """Base of every error a user can cause; each problem is one line to show.

    ``topic`` names what found the problems (``error`` unless a command such
    as ``audit`` reports findings of its own); the CLI prints each problem as
    ``opsctl: TOPIC: PROBLEM`` and exits with ``exit_code``.
    """

    exit_code = EXIT_USAGE
    topic = "error"

    def __init__(self, *problems: str, topic: str | None = None, path: str | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
        self.path = path  # the file the problem is in, when there is one (CI annotations name it)
        if topic is not None:
            self.topic = topic


class UsageError(OpsctlError):
    """The command was asked for something that does not exist or is not allowed."""


class InvalidField(UsageError):
    """A value given for a field is not acceptable; names the field, not a CLI flag.

    The CLI shows the flag the user typed for the field (``--month``), a
    prompt or a library caller sees the field's own name.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class Interrupted(OpsctlError):
    """The user pressed Ctrl-C; what was recorded before stays recorded."""

    exit_code = EXIT_INTERRUPTED


class CheckFailed(OpsctlError):
    """A rule the user asked opsctl to enforce does not hold (exit 1).

    Raised without problems when the command has already printed its report
    (a check, an audit, the reviews due) and only the exit code remains.
    """

    exit_code = EXIT_FAILED


def digest(value: object) -> str:
    """``sha256:`` of a JSON value in canonical form (sorted keys, no spaces, UTF-8).

    Every content hash opsctl stores (pinned definitions, approvals, history
    events, document heads) is computed here, so they are all comparable.
    """
    import json

    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Render a field path as ``phases[2].items[0].owner``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Diagnostic(NamedTuple):
    """One problem in one file, placed like a compiler places it."""

    path: str
    line: int | None
    column: int | None
    message: str
    field: str = ""

    def __str__(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{place}:{field} {self.message}"


class DefinitionError(OpsctlError):
    """One or more framework files are invalid; every problem is listed."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__(
            *(str(diagnostic) for diagnostic in diagnostics),
            path=diagnostics[0].path if diagnostics else None,
        )


class StoreError(OpsctlError):
    """A store file cannot be read or trusted; it is left untouched."""
