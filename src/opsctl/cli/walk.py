"""``opsctl walk``: the guided walk through a run, one open item at a time.

Each answer is saved as soon as it is given, so Ctrl-C (exit 130) or the end
of input never loses what was already recorded.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import typer

from opsctl import clock
from opsctl.cli import completion, state
from opsctl.cli.output import console, safe
from opsctl.errors import Interrupted, OpsctlError, UsageError

if TYPE_CHECKING:
    from opsctl.definitions.model import Item, Phase
    from opsctl.store.documents import RunDocument

CHOICES = {"d": "done", "s": "skip", "b": "block", "a": "assign", "l": "later", "q": "quit"}


class _EndOfInput(Exception):
    """Stdin ran out: stop walking, keep what was recorded."""


class Prompter:
    """Asks questions on a terminal, or reads piped answers line by line."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()
        self._first: str | None = None
        if not self.interactive:
            self._first = sys.stdin.readline()
            if not self._first:
                raise UsageError(
                    "walk is interactive: run it in a terminal, or pipe the answers in "
                    "(one per line); to record items from scripts use opsctl done/skip/block"
                )

    def _next_piped(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
        else:
            line = sys.stdin.readline()
        if not line:
            raise _EndOfInput
        return line

    def ask(self, question: str) -> str:
        """One answer, stripped; the end of piped input ends the walk."""
        console().print(question, end="", markup=False)
        if self.interactive:
            try:
                return input().strip()
            except EOFError:
                raise _EndOfInput from None
        try:
            answer = self._next_piped().strip()
        except _EndOfInput:
            console().print()
            raise
        console().print(answer, markup=False)
        return answer

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question until the answer is understood; empty means no."""
        while True:
            answer = self.ask(question).lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False
            console().print("[yellow]please answer y or n[/]")

    def ask_required(self, question: str) -> str:
        """Ask until the answer is not empty."""
        while True:
            answer = self.ask(question)
            if answer:
                return answer
            console().print("[yellow]an answer is needed here[/]")


def walk(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id (see opsctl runs)."
    ),
) -> None:
    """Walk through the current phase item by item, then advance when the gate is met.

    For each open item it shows the help text, owner, assignee, due date and
    comments, and asks: d(one) / s(kip, with reason) / b(lock, with reason) /
    a(ssign to someone, with a due date) / l(ater) / q(uit).
    Every answer is saved at once; Ctrl-C keeps what was recorded (exit 130).

    Example: opsctl walk rel-2-4
    """
    store = state.store()
    store.load(run_id)
    prompter = Prompter()
    try:
        _walk_phases(run_id, prompter)
    except _EndOfInput:
        console().print("[dim]end of input; what you answered is saved[/]")
    except (KeyboardInterrupt, EOFError):
        console().print()
        raise Interrupted("interrupted; every answer given so far is saved") from None


def _walk_phases(run_id: str, prompter: Prompter) -> None:
    from opsctl.engine.applicability import applies
    from opsctl.engine.runs import current_phase, item_complete, state_of

    store = state.store()
    while True:
        document = store.load(run_id)
        framework = store.framework_of(document)
        phase = current_phase(document, framework)
        if phase is None:
            console().print(f"[green]{run_id} is completed[/]")
            return
        number = framework.phases.index(phase) + 1
        console().print(
            f"\n[bold]Phase {number}/{len(framework.phases)}: {safe(phase.title)}[/] "
            f"[dim]({phase.id})[/]"
        )
        if phase.summary:
            console().print(safe(phase.summary))
        today = clock.today()
        pending = [
            item
            for item in phase.items
            if applies(document, phase, item)
            and not item_complete(state_of(document, phase, item), today)[0]
        ]
        for position, item in enumerate(pending, start=1):
            counter = f"[{position}/{len(pending)}]"
            if not _walk_item(run_id, document, phase, item, counter, prompter):
                return
        if not _offer_advance(run_id, prompter):
            return


def _show_item(document: RunDocument, phase: Phase, item: Item, counter: str) -> None:
    """An item's title, help, owner, assignee, due date and comments."""
    from opsctl.engine.people import assignment_of
    from opsctl.engine.runs import item_key

    out = console()
    key = item_key(phase, item)
    out.print(f"\n{safe(counter)} [bold]{safe(item.title)}[/] [dim]{key}[/]")
    out.print(f"  {safe(item.help)}")
    extra = "" if item.required else ", optional"
    evidence = "" if item.evidence.value == "none" else f", evidence: {item.evidence.value}"
    assignment = assignment_of(document, key)
    assigned = f", assigned to {safe(assignment.assignee)}" if assignment.assignee else ""
    due = f", due {assignment.due.isoformat()}" if assignment.due else ""
    out.print(f"  [dim]owner: {item.owner}{assigned}{due}{evidence}{extra}[/]")
    for comment in document.comments or []:
        if comment.item == key:
            when = comment.at.date().isoformat()
            out.print(f"  [dim]{when} {safe(comment.by)}:[/] {safe(comment.text)}")


def _walk_item(
    run_id: str, document: RunDocument, phase: Phase, item: Item, counter: str, prompter: Prompter
) -> bool:
    """Ask about one item; False when the user wants to stop."""
    out = console()
    _show_item(document, phase, item, counter)
    while True:
        answer = prompter.ask("  d(one) s(kip) b(lock) a(ssign) l(ater) q(uit)? ").lower()[:1]
        choice = CHOICES.get(answer)
        if choice is None:
            out.print("  [yellow]please answer d, s, b, a, l or q[/]")
            continue
        if choice == "quit":
            return False
        if choice == "later":
            return True
        if choice == "assign":
            _assign(run_id, phase, item, prompter)
            continue
        try:
            _record(run_id, phase, item, choice, prompter)
        except OpsctlError as exc:
            out.print(f"  [red]{safe(str(exc))}[/]")
            continue
        return True


def _record(run_id: str, phase: Phase, item: Item, choice: str, prompter: Prompter) -> None:
    from opsctl.engine.runs import item_key
    from opsctl.store.documents import ItemStatus

    fields: dict[str, object] = {}
    if choice == "done":
        status = ItemStatus.DONE
        if item.evidence.value != "none":
            fields["evidence"] = _ask_evidence(item, prompter)
        fields["note"] = prompter.ask("  note (optional): ") or None
    else:
        status = ItemStatus.SKIPPED if choice == "skip" else ItemStatus.BLOCKED
        fields["reason"] = prompter.ask_required("  reason: ")
        if choice == "skip":
            fields["expires"] = _ask_expiry(prompter)
    from opsctl.actions.items import set_item_status
    from opsctl.cli.items import voided_lines

    result = set_item_status(state.session(), run_id, item_key(phase, item), status, **fields)  # type: ignore[arg-type]
    for line in voided_lines(result.voided):
        console().print(f"  {safe(line)}")
    console().print(f"  [green]recorded: {status.value}[/]")


def _assign(run_id: str, phase: Phase, item: Item, prompter: Prompter) -> None:
    """Hand the item to someone from the roster, with an optional due date; errors are shown."""
    from opsctl.actions.people import assign_item
    from opsctl.engine.runs import item_key

    person = prompter.ask_required("  assign to (email from the roster): ")
    due = prompter.ask("  due (YYYY-MM-DD, +3d, +2w; optional): ") or None
    try:
        result = assign_item(state.session(), run_id, item_key(phase, item), person, due)
    except OpsctlError as exc:
        console().print(f"  [red]{safe(str(exc))}[/]")
        return
    due_text = f", due {result.due.isoformat()}" if result.due else ""
    console().print(f"  [green]assigned to {safe(result.assignee)}{due_text}[/]")


def _ask_expiry(prompter: Prompter) -> dt.date | None:
    """Ask for an optional waiver expiry until it is empty or a valid date, not in the past."""
    from opsctl.engine.runs import check_expiry

    while True:
        answer = prompter.ask("  waiver expires (YYYY-MM-DD, optional): ")
        if not answer:
            return None
        try:
            expires = clock.parse_date(answer, "expires")
            check_expiry(expires, clock.today())
            return expires
        except UsageError as exc:
            console().print(f"  [red]{safe(str(exc))}[/]")


def _ask_evidence(item: Item, prompter: Prompter) -> str:
    """Ask for evidence until it is of the kind the item asks for."""
    from opsctl.engine.runs import check_evidence

    while True:
        evidence = prompter.ask_required(f"  evidence ({item.evidence.value}): ")
        try:
            check_evidence(item, evidence)
        except UsageError as exc:
            console().print(f"  [red]{safe(str(exc))}[/]")
            continue
        return evidence


def _offer_advance(run_id: str, prompter: Prompter) -> bool:
    """Offer to leave the phase when its gate is met; True to keep walking."""
    from opsctl.actions.runs import advance_run
    from opsctl.actions.views import run_status
    from opsctl.cli.render import gate_line, signoff_lines

    view = run_status(state.session(), run_id)
    phase_view = next(p for p in view.phases if p.current)
    shown = phase_view.model_dump(mode="json")
    console().print("\n" + gate_line(shown))
    for line in signoff_lines(view.model_dump(mode="json"), shown):
        console().print("  " + line)
    if not phase_view.gate.met:
        if phase_view.gate.approvals_missing:
            console().print(f"sign-off: the people above run 'opsctl approve {run_id}'")
        return False
    if not prompter.confirm("advance to the next phase? [y/N] "):
        return False
    result = advance_run(state.session(), run_id)
    following = result.phase
    console().print(f"[green]advanced{' to ' + following if following else '; run completed'}[/]")
    return following is not None
