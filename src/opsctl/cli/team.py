"""``opsctl team``: the roster of people and the roles they hold."""

from __future__ import annotations

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import FormatOption, OutputFormat, emit, print_columns, say

app = typer.Typer(
    no_args_is_help=True,
    help="The team roster: who holds which roles.\n\nExample: opsctl team list",
)


@app.command("add")
def add(
    email: str = typer.Argument(
        ...,
        metavar="EMAIL",
        help="Email (or CI user name) of the person.",
        autocompletion=completion.people,
    ),
    roles: list[str] = typer.Option([], "--role", "-r", help="A role to give; repeatable."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    keys: list[str] = typer.Option(
        [],
        "--key",
        metavar="FILE.pub",
        help="SSH public key that signs their sign-offs; repeatable, appended to their keys.",
    ),
) -> None:
    """Add a person with roles (and SSH keys) to .opsctl/config.yaml, or give them more.

    Example: opsctl team add alice@example.com --role product-director --key ~/.ssh/id_ed25519.pub
    """
    from opsctl.actions.team import add_member

    result = add_member(state.session(), email, roles, name, keys)
    say(f"{result.email}: {', '.join(result.roles) or 'no roles'}")
    for line, fingerprint in zip(result.keys, result.fingerprints, strict=True):
        comment = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
        say(f"  key {fingerprint}" + (f" {comment}" if comment else ""))


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
    if not any(p.keys for p in result.people):
        print_columns(
            ["EMAIL", "NAME", "ROLES"],
            [[p.email, p.name or "-", ", ".join(p.roles)] for p in result.people],
        )
        return
    print_columns(
        ["EMAIL", "NAME", "ROLES", "SSH KEYS"],
        [[p.email, p.name or "-", ", ".join(p.roles), str(len(p.keys))] for p in result.people],
    )


@app.command("edit")
def edit(
    email: str = typer.Argument(
        ...,
        metavar="EMAIL",
        help="Email of the person on the roster.",
        autocompletion=completion.people,
    ),
    roles: list[str] = typer.Option(
        [], "--role", "-r", help="Their roles from now on (replaces the old ones); repeatable."
    ),
    name: str | None = typer.Option(None, "--name", help="Their new display name."),
) -> None:
    """Change a person's roles (the given ones replace the old) or display name.

    Taking away the last holder of a role that an active run still needs for
    a sign-off is refused: give the role to someone else first.

    Example: opsctl team edit alice@example.com --role product-manager --role qa
    """
    from opsctl.actions.team import edit_member

    result = edit_member(state.session(), email, roles, name)
    named = f" ({result.name})" if result.name else ""
    say(f"{result.email}{named}: {', '.join(result.roles) or 'no roles'}")


@app.command("remove")
def remove(
    email: str = typer.Argument(
        ...,
        metavar="EMAIL",
        help="Email of the person to remove.",
        autocompletion=completion.people,
    ),
    reassign_to: str | None = typer.Option(
        None,
        "--reassign-to",
        metavar="EMAIL",
        autocompletion=completion.people,
        help="Someone on the roster who takes over their open assigned items.",
    ),
) -> None:
    """Take a person off the roster; runs keep their past actions as recorded.

    Their SSH keys move to 'former_people' in config.yaml, so the sign-offs
    they signed keep verifying, while they can sign nothing new. Refused for
    the last holder of a role an active run still needs, and for someone with
    open assigned items unless --reassign-to names who takes them over.

    Example: opsctl team remove carol@example.com --reassign-to bob@example.com
    """
    from opsctl.actions.team import remove_member

    result = remove_member(state.session(), email, reassign_to)
    say(f"removed {result.email} ({', '.join(result.roles) or 'no roles'}) from the roster")
    if result.keys_kept:
        say(
            f"  kept {result.keys_kept} SSH key{'s' if result.keys_kept != 1 else ''} under "
            "former_people: their past sign-offs still verify"
        )
    if result.reassigned:
        count = len(result.reassigned)
        items = f"{count} open item{'s' if count != 1 else ''}"
        say(f"  {items} now assigned to {result.reassigned_to}")
