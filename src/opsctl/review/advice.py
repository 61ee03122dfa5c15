"""Recommendations a director can hand out: each names a person (or a role) and the run.

People come from the roster in ``config.yaml``: a role held by someone is
written ``Omar Ops (operations)``, a role nobody holds is said to be
unfilled. A run is named only when it exists; a KPI whose framework has no
open run says so and gives the command that starts one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from opsctl.definitions.config import Person
from opsctl.review.attention import OverdueRun, SignOffLine
from opsctl.review.figures import number
from opsctl.review.insights import STALL_DAYS, Stall

DEFAULT_OWNER = "operations"
"""The role asked to act when a framework names no approving role."""


@dataclass(frozen=True)
class Recommendation:
    """One thing to act on: the topic, who should act, the run (or '') and what to do."""

    topic: str
    who: str
    run: str
    text: str


class _Kpi(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def framework(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...


class _Item(Protocol):
    @property
    def run(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def detail(self) -> str: ...


@dataclass(frozen=True)
class Roster:
    """Who holds which role, who started which run, and which runs are open per framework."""

    people: Sequence[Person]
    owners: dict[str, str]
    open_runs: dict[str, list[tuple[str, str]]]
    starters: dict[str, str]

    def person(self, email: str) -> str:
        """A person by name from their email (the email itself when not on the roster)."""
        for person in self.people:
            if person.email.lower() == email.lower():
                return person.name or person.email
        return email

    def role(self, role: str) -> str:
        """``Name (role)`` for the people holding a role, or the role said to be unfilled."""
        names = [p.name or p.email for p in self.people if role in p.roles]
        if not names:
            return f"the {role} role (nobody on the roster holds it)"
        return f"{' and '.join(names)} ({role})"

    def owner_of(self, framework: str) -> str:
        """The role that approves a framework's runs (operations when it names none)."""
        return self.owners.get(framework) or DEFAULT_OWNER


def roster_of(
    open_runs: Sequence[tuple[str, str, str]],
    starters: dict[str, str],
    people: Sequence[Person],
    owners: dict[str, str],
) -> Roster:
    """People and approving roles, the open runs of each framework, who started each run.

    ``open_runs`` are (framework, run, phase) in run order; ``starters`` the
    person who started each run.
    """
    by_framework: dict[str, list[tuple[str, str]]] = {}
    for framework, run, phase in open_runs:
        by_framework.setdefault(framework, []).append((run, phase))
    return Roster(people, owners, by_framework, starters)


def _kpis(kpis: Sequence[_Kpi], roster: Roster) -> list[Recommendation]:
    found = []
    for kpi in kpis:
        if kpi.status not in ("off track", "at risk", "no data"):
            continue
        who = roster.role(roster.owner_of(kpi.framework))
        runs = [run for run, _ in roster.open_runs.get(kpi.framework, [])]
        if kpi.status == "no data":
            found.append(Recommendation("KPI", who, "", f"{kpi.title}: {kpi.message}."))
            continue
        where = (
            f"record it in run {runs[0]}"
            if runs
            else f"no run of '{kpi.framework}' is open: start one with "
            f"'opsctl start {kpi.framework}' to track the plan"
        )
        text = f"{kpi.title} is {kpi.status} ({kpi.message}): agree a recovery plan; {where}."
        found.append(Recommendation("KPI", who, runs[0] if runs else "", text))
    return found


def _delivery(
    overdue: Sequence[OverdueRun], blocked: Sequence[_Item], roster: Roster
) -> list[Recommendation]:
    found = []
    for run in overdue:
        starter = roster.starters.get(run.run, "")
        who = (
            f"{roster.person(starter)} (started the run)"
            if starter
            else roster.role("product-manager")
        )
        text = (
            f"{run.run} is {run.days_late} day(s) past its due date {run.due} with "
            f"{run.open_items} required item(s) open ({run.by_owner}): re-plan the due date "
            "or descope, and tell the item owners."
        )
        found.append(Recommendation("Delivery", who, run.run, text))
    for item in blocked:
        text = f"unblock {item.key} in {item.run} ({item.detail or 'no reason given'})."
        found.append(Recommendation("Delivery", roster.role(item.owner), item.run, text))
    return found


def _sign_offs(signed: Sequence[SignOffLine], roster: Roster) -> list[Recommendation]:
    found = []
    for line in signed:
        if line.state != "voided":
            continue
        text = (
            f"re-check and sign off phase {line.phase} of {line.run} again: the "
            f"{line.role} sign-off of {line.date} was voided on {line.voided_on} "
            f"({line.voided_because})."
        )
        found.append(Recommendation("Sign-off", roster.person(line.approver), line.run, text))
    return found


def _patterns(
    stalled: Sequence[Stall], waived: Sequence[tuple[str, int]], roster: Roster
) -> list[Recommendation]:
    found = []
    for stall in stalled:
        if stall.average_days < STALL_DAYS:
            continue
        opened = roster.open_runs.get(stall.framework, [])
        runs = [run for run, phase in opened if phase == stall.phase]
        text = (
            f"runs of '{stall.framework}' spend {number(stall.average_days)} days on average "
            f"in '{stall.phase_title}' ({stall.runs} run(s)"
            + (f"; in it now: {', '.join(runs)}" if runs else "")
            + "); find the blocking step and automate or split it."
        )
        who = roster.role(roster.owner_of(stall.framework))
        found.append(Recommendation("Flow", who, runs[0] if runs else "", text))
    for key, count in waived:
        framework = key.split(":", 1)[0]
        text = (
            f"'{key}' was waived in {count} run(s); fix what makes it hard to do or make "
            "it optional in the framework."
        )
        found.append(Recommendation("Checklist", roster.role(roster.owner_of(framework)), "", text))
    return found


def recommendations(
    kpis: Sequence[_Kpi],
    overdue: Sequence[OverdueRun],
    blocked: Sequence[_Item],
    signed: Sequence[SignOffLine],
    roster: Roster,
    stalled: Sequence[Stall] = (),
    waived: Sequence[tuple[str, int]] = (),
) -> list[Recommendation]:
    """Concrete next steps, most pressing first: late runs, blocked items, voided sign-offs, KPIs.

    The monthly report passes no stalls or waiver patterns (those are the
    quarterly review's); each recommendation names who acts and on which run.
    """
    return [
        *_delivery(overdue, blocked, roster),
        *_sign_offs(signed, roster),
        *_kpis(kpis, roster),
        *_patterns(stalled, waived, roster),
    ]
