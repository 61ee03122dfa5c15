"""The command tree, built lazily: a command's module is imported only when it runs.

Typer turns every registered function into a click command, and every CLI
module pulls in what its commands print. A person typing ``opsctl status``
pays for neither when only ``status`` is registered, so ``main`` registers
the invoked command alone and the whole tree only for help, completion and
names it does not know (so click still says "No such command").
"""

from __future__ import annotations

import importlib
import os

import typer

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("frameworks", "frameworks", "app"),
    ("validate", "validate", "validate"),
    ("schema", "validate", "schema"),
    ("init", "runs", "init"),
    ("start", "runs", "start"),
    ("runs", "runs", "runs"),
    ("status", "runs", "status"),
    ("log", "runs", "log"),
    ("walk", "walk", "walk"),
    ("done", "items", "done"),
    ("skip", "items", "skip"),
    ("block", "items", "block"),
    ("reopen", "items", "reopen"),
    ("advance", "items", "advance"),
    ("approve", "items", "approve"),
    ("revoke", "items", "revoke"),
    ("assign", "people", "assign"),
    ("unassign", "people", "unassign"),
    ("comment", "people", "comment"),
    ("todo", "people", "todo"),
    ("digest", "people", "digest"),
    ("link", "runs", "link"),
    ("label", "runs", "label"),
    ("upgrade", "runs", "upgrade"),
    ("check", "check", "check"),
    ("waivers", "runs", "waivers"),
    ("metric", "metric", "app"),
    ("report", "report", "app"),
    ("review", "report", "review_app"),
    ("portfolio", "portfolio", "app"),
    ("demo", "report", "demo"),
    ("team", "team", "app"),
    ("audit", "audit", "app"),
    ("git", "gitcmd", "app"),
    ("merge-file", "gitcmd", "merge_file"),
    ("sync-check", "gitcmd", "sync_check"),
)
"""Every top-level command in help order: its name, its module in ``opsctl.cli``, its object."""

GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--workspace", "-w"})


def invoked_command(args: list[str]) -> str | None:
    """The top-level command named in ``args``, skipping the global options before it."""
    takes_value = False
    for arg in args:
        if takes_value:
            takes_value = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            takes_value = True
        elif not arg.startswith("-"):
            return arg
    return None


def completed_words() -> list[str]:
    """During shell completion: the words typed before the one being completed.

    bash passes the whole line and the cursor's word (``COMP_WORDS``,
    ``COMP_CWORD``); zsh and fish pass the line up to the cursor
    (``_TYPER_COMPLETE_ARGS``), whose last word is incomplete unless a space
    follows it. Anything unreadable gives no words, so the whole tree is built.
    """
    import shlex

    try:
        if "COMP_CWORD" in os.environ:
            words = shlex.split(os.environ.get("COMP_WORDS", ""))
            return words[1 : int(os.environ["COMP_CWORD"])]
        line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
        words = shlex.split(line)
        return words[1:] if line.endswith(" ") else words[1:-1]
    except ValueError:
        return []


def command_to_build(args: list[str]) -> str | None:
    """The one command a run of opsctl needs, or None for the whole tree."""
    if os.environ.get("_OPSCTL_COMPLETE"):
        return invoked_command(completed_words())
    return invoked_command(args)


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add the command named ``only`` to ``app``, or every command when it is not one of ours."""
    known = {name for name, _, _ in COMMANDS}
    for name, module_name, attribute in COMMANDS:
        if only in known and name != only:
            continue
        target = getattr(importlib.import_module(f"opsctl.cli.{module_name}"), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
