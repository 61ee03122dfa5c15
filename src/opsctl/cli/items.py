"""Item and gate commands: done, skip, block, reopen, advance, approve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsctl import clock
from opsctl.actions.identity import current_actor
from opsctl.cli import state
from opsctl.cli.output import say

if TYPE_CHECKING:
    from opsctl.store.documents import ItemStatus

RunArg = typer.Argument(..., metavar="RUN", help="Run id (see opsctl runs).")
ItemArg = typer.Argument(
    ..., metavar="ITEM", help="PHASE/ITEM, or the bare item id when unique in the run."
)
ReasonOption = typer.Option(None, "--reason", "-r", help="Why (required).")


def _set(run_id: str, ref: str, status: ItemStatus, **fields: object) -> None:
    from opsctl.engine.runs import item_key, set_item

    store = state.store()
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        state.guard_owner(framework, ref)
        phase, item = set_item(
            document,
            framework,
            ref,
            status,
            current_actor(),
            clock.now(),
            **fields,  # type: ignore[arg-type]
        )
    say(f"{run_id}: {item_key(phase, item)} is now {status.value}")


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
    from opsctl.store.documents import ItemStatus

    expiry = clock.parse_date(expires, "expires") if expires else None
    _set(run_id, item, ItemStatus.SKIPPED, reason=reason, expires=expiry)


def block(run_id: str = RunArg, item: str = ItemArg, reason: str | None = ReasonOption) -> None:
    """Mark an item blocked, saying what blocks it.

    Example: opsctl block rel-2-4 coordination/testing-complete --reason "staging down"
    """
    from opsctl.store.documents import ItemStatus

    _set(run_id, item, ItemStatus.BLOCKED, reason=reason)


def reopen(run_id: str = RunArg, item: str = ItemArg) -> None:
    """Set an item back to open (voids approvals of its phase).

    Example: opsctl reopen rel-2-4 planning/stakeholders-aligned
    """
    from opsctl.store.documents import ItemStatus

    _set(run_id, item, ItemStatus.OPEN)


def advance(run_id: str = RunArg) -> None:
    """Leave the current phase; refuses (exit 1), listing what is missing, until its gate is met.

    Example: opsctl advance rel-2-4
    """
    from opsctl.engine.runs import GateRefused
    from opsctl.engine.runs import advance as advance_run

    store = state.store()
    refused: GateRefused | None = None
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        try:
            following = advance_run(document, framework, current_actor(), clock.now())
        except GateRefused as exc:
            refused = exc
    if refused is not None:
        raise refused
    if following is None:
        say(f"{run_id}: final gate passed; run completed")
    else:
        say(f"{run_id}: now in phase '{following.id}' ({following.title})")


def approve(
    run_id: str = RunArg,
    phase: str | None = typer.Option(None, "--phase", "-p", help="Default: the current phase."),
    role: str | None = typer.Option(None, "--role", help="Sign off in this role only."),
    comment: str | None = typer.Option(None, "--comment", "-m", help="Why you approve."),
) -> None:
    """Sign off the current phase's gate in the roles you hold (from the team roster).

    Example: opsctl approve rel-2-4 --comment "go for release"
    """
    from opsctl.engine.approvals import approve as approve_gate

    store = state.store()
    people = state.workspace().config().people
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        granted = approve_gate(
            document,
            framework,
            people,
            current_actor(),
            clock.now(),
            phase_id=phase,
            role=role,
            comment=comment,
        )
    roles = ", ".join(approval.role for approval in granted)
    say(f"{run_id}: phase '{granted[0].phase}' approved as {roles}")


def revoke(
    run_id: str = RunArg,
    phase: str = typer.Option(..., "--phase", "-p", help="The phase whose sign-off to withdraw."),
    reason: str | None = ReasonOption,
) -> None:
    """Withdraw your sign-off of a phase; it stays in the history, voided.

    Example: opsctl revoke rel-2-4 --phase execution --reason "rollback plan changed"
    """
    from opsctl.engine.approvals import revoke as revoke_approvals

    store = state.store()
    with store.update(run_id) as document:
        revoked = revoke_approvals(document, phase, current_actor(), reason or "", clock.now())
    roles = ", ".join(approval.role for approval in revoked)
    say(f"{run_id}: sign-off of phase '{phase}' as {roles} revoked")
