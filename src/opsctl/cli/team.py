"""``opsctl team``: the roster of people and the roles they hold."""

from __future__ import annotations

import typer

from opsctl.cli import state
from opsctl.cli.output import FormatOption, OutputFormat, emit, print_columns, say

app = typer.Typer(
    no_args_is_help=True,
    help="The team roster: who holds which roles.\n\nExample: opsctl team list",
)


@app.command("add")
def add(
    email: str = typer.Argument(
        ..., metavar="EMAIL", help="Email (or CI user name) of the person."
    ),
    roles: list[str] = typer.Option(..., "--role", "-r", help="A role to give; repeatable."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
) -> None:
    """Add a person with roles to .opsctl/config.yaml (or give them more roles).

    Example: opsctl team add alice@example.com --role product-director --name "Alice"
    """
    from opsctl.actions.team import add_member

    result = add_member(state.session(), email, roles, name)
    say(f"{result.email}: {', '.join(result.roles)}")


@app.command("list")
def list_team(output_format: OutputFormat = FormatOption) -> None:
    """List the people of the team and their roles.

    Example: opsctl team list --format json
    """
    from opsctl.actions.team import list_team as roster

    result = roster(state.session())
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    if not result.people:
        say("nobody yet; add people with: opsctl team add EMAIL --role ROLE")
        return
    print_columns(
        ["EMAIL", "NAME", "ROLES"],
        [[p.email, p.name or "-", ", ".join(p.roles)] for p in result.people],
    )
