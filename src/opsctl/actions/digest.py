"""``opsctl digest``: per person, what is overdue, due soon, waiting for their sign-off.

The digest is for a scheduled CI job to post where the team reads it:
Markdown for a wiki or an issue, JSON for scripts, and a Slack Block Kit
message body for ``curl``. opsctl itself sends nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from enum import Enum
from typing import Any, ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.actions.work import OpenItem, PendingSignoff, Work, open_work, plate
from opsctl.clock import parse_period
from opsctl.definitions.config import Person
from opsctl.engine.people import assignment_of
from opsctl.store.documents import ItemStatus
from opsctl.text import strip_controls

SLACK_TEXT_LIMIT = 3000
"""Slack refuses a section whose text is longer than this."""
SLACK_BLOCK_LIMIT = 50
"""Slack refuses a message with more blocks than this."""


class ExpiringWaiver(View):
    """A waiver that lapses soon: its item then keeps the gate shut again."""

    run: str
    item: str
    expires: dt.date
    reason: str


class PersonDigest(View):
    """One person's part of the digest."""

    person: str
    name: str
    overdue: list[OpenItem]
    due_soon: list[OpenItem]
    signoffs: list[PendingSignoff]
    waivers_expiring: list[ExpiringWaiver]
    done: int = Field(description="Items this person marked done in the period.")


class Digest(Result):
    """``opsctl digest``: the people with something overdue, due, to sign or expiring."""

    KIND: ClassVar[str] = "digest"

    today: dt.date
    since: dt.date = Field(description="Start of the period looked back on.")
    until: dt.date = Field(description="Items due and waivers lapsing up to this date count.")
    people: list[PersonDigest]


def _expiring(work: Work, today: dt.date, until: dt.date) -> dict[str, list[ExpiringWaiver]]:
    """Waivers lapsing from today to ``until``, by who answers for them (assignee, else grantor)."""
    found: dict[str, list[ExpiringWaiver]] = {}
    for document in work.documents:
        for key, state in sorted(document.items.items()):
            if state.status is not ItemStatus.SKIPPED or state.expires is None:
                continue
            if not today <= state.expires <= until:
                continue
            who = (assignment_of(document, key).assignee or state.by).lower()
            found.setdefault(who, []).append(
                ExpiringWaiver(
                    run=document.id, item=key, expires=state.expires, reason=state.reason or ""
                )
            )
    return found


def _done(session: Session, work: Work, since: dt.datetime) -> dict[str, int]:
    """Items each person marked done since ``since``, in active runs and runs completed since."""
    from opsctl.store.documents import RunStatus

    store = session.runs
    headers, _ = store.headers()
    finished = [
        store.load(header.id)
        for header in headers
        if header.status is RunStatus.COMPLETED
        and header.completed is not None
        and header.completed >= since
    ]
    counts: dict[str, int] = {}
    for document in [*work.documents, *finished]:
        for event in document.history:
            if event.action == "done" and event.at >= since:
                counts[event.actor.lower()] = counts.get(event.actor.lower(), 0) + 1
    return counts


def _everyone(work: Work, people: list[Person]) -> list[Person]:
    """The roster, then anyone assigned work who is no longer (or not yet) in it."""
    known = {person.email.lower() for person in people}
    extra = sorted({i.assignee for i in work.items if i.assignee} - known, key=str.lower)
    return [*people, *(Person(email=email) for email in extra if email.lower() not in known)]


def digest(session: Session, since: str = "7d") -> Digest:
    """The digest of every active run: the period is ``since`` back and as long ahead."""
    period = parse_period(since)
    now = session.now()
    today = now.date()
    until = today + period
    work = open_work(session)
    people = session.config.people
    expiring = _expiring(work, today, until)
    done = _done(session, work, now - period)
    rows = []
    for person in _everyone(work, people):
        mine = plate(work, person.email, people)
        row = PersonDigest(
            person=person.email,
            name=person.name,
            overdue=[item for item in mine.items if item.overdue],
            due_soon=[i for i in mine.items if i.due and today <= i.due <= until],
            signoffs=mine.signoffs,
            waivers_expiring=expiring.get(person.email.lower(), []),
            done=done.get(person.email.lower(), 0),
        )
        if row.overdue or row.due_soon or row.signoffs or row.waivers_expiring or row.done:
            rows.append(row)
    return Digest(today=today, since=today - period, until=until, people=rows)


class DigestFormat(str, Enum):
    """How the digest is printed."""

    MARKDOWN = "markdown"
    JSON = "json"
    SLACK = "slack"


def _text(value: str) -> str:
    """User text on one line, without control characters, with &, < and > escaped.

    Titles and reasons arrive through git from other people; in Markdown and
    in Slack's mrkdwn alike, < and > would start HTML or a Slack link.
    """
    return html.escape(" ".join(strip_controls(value).split()), quote=False)


def _item_line(item: OpenItem) -> str:
    due = f" (due {item.due.isoformat()})" if item.due else ""
    waiting = ""
    if item.waiting_for:
        blocked = item.waiting_for.startswith("blocked")
        waiting = f"; {'' if blocked else 'waiting for '}{_text(item.waiting_for)}"
    return f"- {item.run} `{item.item}` {_text(item.title)}{due}{waiting}"


def _person_lines(row: PersonDigest, bold: str) -> list[list[str]]:
    """One person's part: a heading and one line per entry for each kind of entry."""
    sections: list[tuple[str, list[str]]] = [
        ("Overdue", [_item_line(item) for item in row.overdue]),
        ("Due soon", [_item_line(item) for item in row.due_soon]),
        (
            "Waiting for your sign-off",
            [
                f"- {s.run} phase `{s.phase}` as {s.role}"
                + (" (items complete)" if s.ready else "")
                for s in row.signoffs
            ],
        ),
        (
            "Waivers about to expire",
            [
                f"- {w.run} `{w.item}` on {w.expires.isoformat()}: {_text(w.reason)}"
                for w in row.waivers_expiring
            ],
        ),
    ]
    parts = [[f"{bold}{title}{bold}", *entries] for title, entries in sections if entries]
    if row.done:
        parts.append([f"Done in the period: {row.done} item{'s' if row.done != 1 else ''}"])
    return parts


def _who(row: PersonDigest) -> str:
    return _text(f"{row.name} ({row.person})" if row.name else row.person)


def _title(result: Digest) -> str:
    return f"opsctl digest {result.today.isoformat()} (due up to {result.until.isoformat()})"


def to_markdown(result: Digest) -> str:
    """The digest as Markdown, one section per person."""
    lines = [f"# {_title(result)}", ""]
    if not result.people:
        lines.append("Nothing overdue, due soon, waiting for a sign-off or expiring.")
    for row in result.people:
        lines += [f"## {_who(row)}", ""]
        for part in _person_lines(row, "**"):
            lines += [*part, ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(text: str) -> dict[str, Any]:
    if len(text) > SLACK_TEXT_LIMIT:
        text = text[: SLACK_TEXT_LIMIT - 2] + " …"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def to_slack(result: Digest) -> dict[str, Any]:
    """The digest as a Slack Block Kit message body (header, then a section per person)."""
    title = _title(result)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}}
    ]
    if not result.people:
        blocks.append(_section("Nothing overdue, due soon, waiting for a sign-off or expiring."))
    room = (SLACK_BLOCK_LIMIT - 2) // 2
    for row in result.people[:room]:
        body = "\n".join(line for part in _person_lines(row, "*") for line in part)
        blocks += [{"type": "divider"}, _section(f"*{_who(row)}*\n{body}")]
    if len(result.people) > room:
        blocks.append(_section(f"and {len(result.people) - room} more people"))
    return {"text": title, "blocks": blocks}


def render_digest(result: Digest, digest_format: DigestFormat) -> str:
    """The digest as Markdown, the JSON envelope, or a Slack message body (JSON)."""
    if digest_format is DigestFormat.JSON:
        return result.to_json()
    if digest_format is DigestFormat.SLACK:
        return json.dumps(to_slack(result), indent=2, ensure_ascii=False) + "\n"
    return to_markdown(result)
