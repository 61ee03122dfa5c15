"""People commands: assign, unassign, comment, todo, digest."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import FormatOption, OutputFormat, emit, print_columns, say

if TYPE_CHECKING:
    from opsctl.actions.work import Todo


class DigestChoice(str, Enum):
    """How the digest is printed."""

    MARKDOWN = "markdown"
    JSON = "json"
    SLACK = "slack"


RunArg = typer.Argument(
    ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id (see opsctl runs)."
)
ItemArg = typer.Argument(
    ...,
    metavar="ITEM",
    autocompletion=completion.open_items,
    help="PHASE/ITEM, or the bare item id when unique in the run.",
)


def assign(
    run_id: str = RunArg,
    item: str = ItemArg,
    person: str = typer.Argument(
        ...,
        metavar="PERSON",
        autocompletion=completion.people,
        help="EMAIL of someone in the roster.",
    ),
    due: str | None = typer.Option(
        None, "--due", help="Due date: YYYY-MM-DD, or relative like +3d or +2w."
    ),
    any_role: bool = typer.Option(
        False, "--any-role", help="Assign someone not holding the item's owner role (recorded)."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Hand an item to a person, optionally with a due date; reassigning works the same way.

    The person must be in the team roster (opsctl team list) and hold the
    item's owner role, unless --any-role. Take an item back with opsctl unassign.

    Example: opsctl assign rel-2-4 planning/scope-defined alice@example.com --due +3d
    """
    from opsctl.actions.people import assign_item

    result = assign_item(state.session(), run_id, item, person, due, any_role)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    due_text = f", due {result.due.isoformat()}" if result.due else ""
    was = f" (was {result.previous})" if result.previous else ""
    say(f"{run_id}: {result.item} assigned to {result.assignee}{due_text}{was}")


def unassign(
    run_id: str = RunArg,
    item: str = ItemArg,
    output_format: OutputFormat = FormatOption,
) -> None:
    """Take an item back from its assignee; its owner role's holders see it again.

    The due date stays. Recorded in the run's history.

    Example: opsctl unassign rel-2-4 planning/scope-defined
    """
    from opsctl.actions.people import unassign_item

    result = unassign_item(state.session(), run_id, item)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    say(f"{run_id}: {result.item} no longer assigned (was {result.previous})")


def comment(
    run_id: str = RunArg,
    words: list[str] = typer.Argument(
        ...,
        metavar="[ITEM] TEXT",
        help="The comment; with two arguments the first is the item it is about.",
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Leave a comment on a run or one of its items, recorded with your name and the time.

    Comments appear in opsctl status, log and walk.

    Example: opsctl comment rel-2-4 planning/scope-defined "waiting for legal's answer"
    """
    from opsctl.actions.people import comment_run
    from opsctl.errors import UsageError

    if len(words) > 2:
        raise UsageError("comment takes RUN, an optional ITEM and one TEXT: quote the text")
    item, text = (words[0], words[1]) if len(words) == 2 else (None, words[0])
    result = comment_run(state.session(), run_id, item, text)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    say(f"{run_id}: comment recorded{' on ' + result.item if result.item else ''}")


def _print_todo(result: Todo) -> None:
    if not result.items and not result.signoffs:
        hint = "" if result.roles else " (no role on the team roster: see opsctl team list)"
        say(f"nothing to do for {result.person}{hint}")
        return
    if result.items:
        print_columns(
            ["DUE", "RUN", "ITEM", "STATUS", "ASSIGNED", "WAITING FOR"],
            [
                [
                    (item.due.isoformat() if item.due else "-")
                    + (" overdue" if item.overdue else ""),
                    item.run,
                    item.item,
                    item.status,
                    item.assignee or f"({item.owner})",
                    item.waiting_for or "ready",
                ]
                for item in result.items
            ],
        )
    for signoff in result.signoffs:
        ready = "items complete" if signoff.ready else "items still open"
        say(
            f"sign-off: {signoff.run} phase '{signoff.phase}' as {signoff.role} ({ready}): "
            f"opsctl approve {signoff.run}"
        )


def todo(
    person: str | None = typer.Option(
        None,
        "--person",
        autocompletion=completion.people,
        help="Whose work (an EMAIL in the roster; default: you).",
    ),
    overdue: bool = typer.Option(False, "--overdue", help="Only what is past its due date."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Your open items across every run, soonest due first, and phases waiting for your sign-off.

    Lists items assigned to you, and items nobody is assigned that your roles own.

    Example: opsctl todo --overdue
    """
    from opsctl.actions.sources import todo_source
    from opsctl.cli.answers import answer

    session = state.session()

    def produce() -> None:
        from opsctl.actions.work import todo as my_work

        result = my_work(session, person, overdue)
        if output_format is OutputFormat.JSON:
            emit(result)
            return
        _print_todo(result)

    request = ["todo", str(person), str(overdue), output_format.value]
    answer(session, request, lambda: todo_source(session, person), produce)


def digest(
    since: str = typer.Option(
        "7d", "--since", help="The period: what was done in it, what falls due as far ahead."
    ),
    digest_format: DigestChoice = typer.Option(
        DigestChoice.MARKDOWN,
        "--format",
        "-f",
        help="markdown, json, or slack (Block Kit).",
    ),
) -> None:
    """Per person: overdue, due soon, waiting for their sign-off, waivers about to expire.

    Meant for a scheduled CI job: --format slack prints a Slack message body
    to post with curl to an incoming webhook; opsctl itself sends nothing.

    Example: opsctl digest --since 7d --format slack > digest.json
    """
    from opsctl.actions.digest import DigestFormat, render_digest
    from opsctl.actions.digest import digest as make_digest

    result = make_digest(state.session(), since)
    typer.echo(render_digest(result, DigestFormat(digest_format.value)), nl=False)
