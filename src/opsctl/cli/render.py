"""Rich renderings of run views for people at a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from opsctl.cli.output import console, is_terminal, plain, safe

if TYPE_CHECKING:
    from rich.table import Table

    from opsctl.gate.check import CheckReport

MARKS = {
    "done": "[green]✔ done[/]",
    "skipped": "[yellow]↷ skipped[/]",
    "blocked": "[red]✖ blocked[/]",
    "open": "[dim]○ open[/]",
}
NOT_APPLICABLE = "[dim]- not applicable[/]"


def _item_detail(item: dict[str, Any]) -> str:
    parts = []
    if item.get("evidence"):
        parts.append(safe(item["evidence"]))
    if item.get("reason"):
        parts.append("reason: " + safe(item["reason"]))
    if item.get("expires"):
        parts.append("until " + item["expires"])
    if item.get("note"):
        parts.append("note: " + safe(item["note"]))
    if item.get("assignee") or item.get("due"):
        who = f"assigned to {safe(item['assignee'])}" if item.get("assignee") else "unassigned"
        parts.append(who + (f", due {item['due']}" if item.get("due") else ""))
    return "; ".join(parts)


def comment_lines(comments: list[dict[str, Any]]) -> list[str]:
    """Comments as lines: date, author, the item they are on (if any), text."""
    return [
        f"[dim]{c['at'][:10]} {safe(c['by'])}[/]"
        + (f" on {c['item']}" if c.get("item") else "")
        + f": {safe(c['text'])}"
        for c in comments
    ]


def _phase_table(phase: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_header=True)
    table.add_column("state", no_wrap=True)
    table.add_column("item", no_wrap=True)
    table.add_column("title")
    table.add_column("owner", no_wrap=True)
    table.add_column("evidence / reason", overflow="fold")
    for item in phase["items"]:
        optional = " [dim](optional)[/]" if not item["required"] else ""
        applicable = item.get("applicable", True)
        table.add_row(
            MARKS[item["status"]] if applicable else NOT_APPLICABLE,
            item["id"],
            safe(item["title"]) + optional,
            item["owner"],
            _item_detail(item) if applicable else safe(item.get("condition") or ""),
        )
    return table


def _approval_line(approval: dict[str, Any]) -> str:
    who = f"{approval['role']} by {safe(approval['by'])} on {approval['at'][:10]}"
    if approval.get("voided"):
        return f"[dim]sign-off {who}: voided ({safe(approval['voided'])})[/]"
    comment = f": {safe(approval['comment'])}" if approval.get("comment") else ""
    return f"[green]signed off[/] {who}{comment}"


def waiting_lines(phase: dict[str, Any]) -> list[str]:
    """Who still has to sign a phase, by name from the roster."""
    return [
        f"[yellow]waiting[/] for sign-off by {line['role']}: "
        + (", ".join(safe(name) for name in line["may_sign"]) or "nobody in the roster yet")
        for line in phase.get("signoffs", [])
        if line["state"] == "waiting"
    ]


def signoff_lines(view: dict[str, Any], phase: dict[str, Any]) -> list[str]:
    """A phase's sign-offs: given (with comment), voided (why), and still waiting (by whom)."""
    given = [_approval_line(a) for a in view["approvals"] if a["phase"] == phase["id"]]
    return given + waiting_lines(phase)


def gate_line(phase: dict[str, Any]) -> str:
    """What a phase's gate still needs, in one line."""
    gate = phase["gate"]
    if gate["met"]:
        return "[green]gate met[/]"
    parts = [f"{m['item']} ({safe(m['why'])}, {m['owner']})" for m in gate["missing"]]
    parts += [f"sign-off by {role}" for role in gate["approvals_missing"]]
    return "[yellow]gate needs:[/] " + "; ".join(parts)


def _print_header(view: dict[str, Any]) -> None:
    out = console()
    run = view["run"]
    done, total = run["progress"]["complete"], run["progress"]["total"]
    due = f" · due {run['due']}" + (" [red](overdue)[/]" if run["overdue"] else "")
    out.print(
        f"[bold]{safe(run['title'])}[/] ({run['id']}) · {run['framework']} · "
        f"{done}/{total} required items complete{due if run['due'] else ''} · {run['status']}"
    )
    if run.get("labels"):
        out.print(f"labels: {', '.join(run['labels'])}")
    if view["definition"]["current_digest"] is None:
        out.print(
            "[yellow]the framework definition no longer exists; the run keeps working "
            "from its pinned copy[/]"
        )
    elif view["definition"]["changed"]:
        out.print(
            "[yellow]the framework definition changed since this run started; "
            f"'opsctl upgrade {run['id']}' moves it to the current one[/]"
        )


def _marker(run: dict[str, Any], phase: dict[str, Any], number: int) -> str:
    if phase["current"]:
        return "[bold]▶[/]"
    if run["phase"] is None or number < run["phase_number"]:
        return "[green]✔[/]"
    return " "


def print_status(view: dict[str, Any], all_phases: bool) -> None:
    """Print a run's status: header, phases by group, the current phase's items and gate."""
    out = console()
    run = view["run"]
    _print_header(view)
    group = None
    for number, phase in enumerate(view["phases"], start=1):
        if phase.get("group") and phase["group"] != group:
            group = phase["group"]
            out.print(f"[bold]{safe(group)}[/]")
        marker = _marker(run, phase, number)
        skipped = "" if phase.get("applicable", True) else " [dim]- not applicable[/]"
        out.print(f"{marker} {number}. {safe(phase['title'])} [dim]({phase['id']})[/]{skipped}")
        if phase["current"] or all_phases:
            out.print(_phase_table(phase))
            out.print("  " + gate_line(phase))
        if phase["current"] or all_phases or marker != " ":
            for line in signoff_lines(view, phase):
                out.print("  " + line)
    if view.get("comments"):
        out.print("[bold]comments[/]")
        for line in comment_lines(view["comments"]):
            out.print("  " + line)
    if run["phase"] is None:
        out.print("[green]run completed[/]")


Segment = tuple[str, str]
"""Plain text and the Rich style it is shown in on a terminal ("" for none)."""


def _phase_verdict(phase: Any) -> list[Segment]:
    from opsctl.gate.check import Result

    if not phase.ok:
        return [("missing items", "red")]
    pending = [entry for entry in phase.entries() if entry.result is Result.PENDING]
    if pending:
        return [("in progress", "yellow"), (f" ({len(pending)} open or to sign, on time)", "")]
    return [("ok", "green")]


def _run_lines(run: Any) -> list[list[Segment]]:
    from opsctl.gate.check import ItemResult, Result
    from opsctl.gate.formats import failure_message

    lines = [[("✖", "red"), (f" {run.id} {plain(problem)}", "")] for problem in run.problems]
    for phase in run.phases:
        heading = f"{run.id} · {run.framework} · phase {phase.id}: "
        lines.append([(heading, ""), *_phase_verdict(phase)])
        for entry in phase.entries():
            if entry.result is Result.FAILED:
                lines.append([("  ✖", "red"), (f" {plain(failure_message(entry))}", "")])
            elif entry.result is Result.WAIVED and isinstance(entry, ItemResult):
                lines.append([("  ↷", "yellow"), (f" {entry.key}: {plain(entry.message)}", "")])
    return lines


def print_lines(lines: list[list[Segment]]) -> None:
    """Print many lines at once: styled on a terminal, plain text into a pipe or file.

    A check of ten thousand runs prints tens of thousands of lines; one
    Rich ``print`` per line cost seconds, one write costs milliseconds.
    """
    if is_terminal(sys.stdout):
        from rich.text import Text

        text = Text("\n").join(Text.assemble(*line) for line in lines)
        console().print(text, soft_wrap=True)
    else:
        sys.stdout.write("".join("".join(text for text, _ in line) + "\n" for line in lines))


def print_check(report: CheckReport) -> None:
    """Print a check report for people: verdict per run and phase, then what is missing."""
    from opsctl.gate.formats import verdict_line

    lines = [line for run in report.runs for line in _run_lines(run)]
    lines += [[(plain(note), "dim")] for note in report.notes]
    colour = "green" if report.ok else "red"
    lines.append([(f"opsctl check: {plain(verdict_line(report))}", colour)])
    print_lines(lines)
