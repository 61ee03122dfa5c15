"""Item and gate commands: done, skip, block, reopen, advance, approve, revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import say

if TYPE_CHECKING:
    from opsctl.actions.items import ItemChanged, VoidedSignoff
    from opsctl.store.documents import ItemStatus

RunArg = typer.Argument(
    ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id (see opsctl runs)."
)
ItemArg = typer.Argument(
    ...,
    metavar="ITEM",
    help="PHASE/ITEM, or the bare item id when unique in the run.",
    autocompletion=completion.open_items,
)
ClosedItemArg = typer.Argument(
    ...,
    metavar="ITEM",
    help="PHASE/ITEM, or the bare item id when unique in the run.",
    autocompletion=completion.closed_items,
)
ReasonOption = typer.Option(None, "--reason", "-r", help="Why (required).")
KeyOption = typer.Option(
    None,
    "--key",
    help="SSH key to sign with, when config.yaml has 'signoffs: signed' "
    "(default: git's user.signingkey, else ssh-agent).",
)


def voided_lines(voided: list[VoidedSignoff]) -> list[str]:
    """One line per voided sign-off: which phase, whose, why, and who may sign again."""
    return [
        f"sign-off of phase '{v.phase}' by {v.approver} ({v.role}) voided: {v.reason}; "
        f"may re-approve: {', '.join(v.may_reapprove) or 'nobody in the roster holds ' + v.role}"
        for v in voided
    ]


def print_item_changed(result: ItemChanged) -> None:
    """``RUN: ITEM is now STATUS``, then every sign-off the change voided."""
    say(f"{result.run}: {result.item} is now {result.status}")
    for line in voided_lines(result.voided):
        say(line)


def _set(run_id: str, ref: str, status: ItemStatus, **fields: object) -> None:
    from opsctl.actions.items import set_item_status

    print_item_changed(set_item_status(state.session(), run_id, ref, status, **fields))  # type: ignore[arg-type]


def done(
    run_id: str = RunArg,
    item: str = ItemArg,
    evidence: str | None = typer.Option(
        None, "--evidence", "-e", help="Link, file path or text, as the item asks."
    ),
    note: str | None = typer.Option(None, "--note", "-m", help="A note for reviewers."),
) -> None:
    """Mark an item done, with the evidence its definition asks for.

    Example: opsctl done rel-2-4 planning/stakeholders-aligned --evidence https://wiki/rel-2-4
    """
    from opsctl.store.documents import ItemStatus

    _set(run_id, item, ItemStatus.DONE, evidence=evidence, note=note)


def skip(
    run_id: str = RunArg,
    item: str = ItemArg,
    reason: str | None = ReasonOption,
    expires: str | None = typer.Option(
        None, "--expires", help="Date the waiver lapses, YYYY-MM-DD."
    ),
) -> None:
    """Waive an item with a reason; a waiver may expire.

    Example: opsctl skip rel-2-4 innovation/market-validated --reason "internal only"
    """
    from opsctl.clock import parse_date
    from opsctl.store.documents import ItemStatus

    expiry = parse_date(expires, "expires") if expires else None
    _set(run_id, item, ItemStatus.SKIPPED, reason=reason, expires=expiry)


def block(run_id: str = RunArg, item: str = ItemArg, reason: str | None = ReasonOption) -> None:
    """Mark an item blocked, saying what blocks it.

    Example: opsctl block rel-2-4 coordination/testing-complete --reason "staging down"
    """
    from opsctl.store.documents import ItemStatus

    _set(run_id, item, ItemStatus.BLOCKED, reason=reason)


def reopen(run_id: str = RunArg, item: str = ClosedItemArg) -> None:
    """Set an item back to open (voids approvals of its phase).

    Example: opsctl reopen rel-2-4 planning/stakeholders-aligned
    """
    from opsctl.store.documents import ItemStatus

    _set(run_id, item, ItemStatus.OPEN)


def advance(run_id: str = RunArg) -> None:
    """Leave the current phase; refuses (exit 1), listing what is missing, until its gate is met.

    Example: opsctl advance rel-2-4
    """
    from opsctl.actions.runs import advance_run

    result = advance_run(state.session(), run_id)
    if result.phase is None:
        say(f"{run_id}: final gate passed; run completed")
    else:
        say(f"{run_id}: now in phase '{result.phase}' ({result.phase_title})")


def approve(
    run_id: str = RunArg,
    phase: str | None = typer.Option(None, "--phase", "-p", help="Default: the current phase."),
    role: str | None = typer.Option(None, "--role", help="Sign off in this role only."),
    comment: str | None = typer.Option(None, "--comment", "-m", help="Why you approve."),
    key: str | None = KeyOption,
) -> None:
    """Sign off the current phase's gate in the roles you hold (from the team roster).

    In a workspace with 'signoffs: signed' the sign-off is signed with your SSH key.

    Example: opsctl approve rel-2-4 --comment "go for release"
    """
    from opsctl.actions.items import approve_phase

    result = approve_phase(state.session(), run_id, phase, role, comment, key)
    for signature in result.already:
        say(
            f"{run_id}: phase '{result.phase}' already signed off by {signature.by} "
            f"({signature.role}) on {signature.at.date().isoformat()}; nothing recorded"
        )
    if result.roles:
        say(f"{run_id}: phase '{result.phase}' approved as {', '.join(result.roles)}")


def revoke(
    run_id: str = RunArg,
    phase: str = typer.Option(..., "--phase", "-p", help="The phase whose sign-off to withdraw."),
    reason: str | None = ReasonOption,
    key: str | None = KeyOption,
) -> None:
    """Withdraw your sign-off of a phase; it stays in the history, voided.

    In a workspace with 'signoffs: signed' the revocation is signed with your SSH key.

    Example: opsctl revoke rel-2-4 --phase execution --reason "rollback plan changed"
    """
    from opsctl.actions.items import revoke_signoff

    result = revoke_signoff(state.session(), run_id, phase, reason, key)
    say(f"{run_id}: sign-off of phase '{phase}' as {', '.join(result.roles)} revoked")
