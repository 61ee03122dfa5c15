"""Use cases on the team roster: add, edit, remove and list people, their roles and keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.config import Person
from opsctl.engine.signatures import parse_public_key, person_of
from opsctl.engine.team import add_person, edit_person, remove_person
from opsctl.errors import InvalidField, UsageError

MAX_KEY_FILE = 64 * 1024
"""An SSH public key file is one short line; anything larger is not one."""


class PersonAdded(Result):
    """A person now on the roster, with every role they hold."""

    KIND: ClassVar[str] = "person"

    email: str
    name: str
    roles: list[str]
    keys: list[str] = Field(default_factory=list)
    fingerprints: list[str] = Field(default_factory=list)
    """The SHA256 fingerprints of ``keys``, in the same order."""


def read_public_key(session: Session, name: str) -> str:
    """The SSH public key in a .pub file, as one line; exit 2 naming the file otherwise."""
    path = session.cwd / Path(name).expanduser()
    if not path.is_file():
        raise InvalidField("key", f"{name}: no such file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidField("key", f"{name}: cannot read it as an SSH public key ({exc})") from None
    if len(data) > MAX_KEY_FILE:
        raise InvalidField("key", f"{name}: not an SSH public key (the file is too large)")
    try:
        return parse_public_key(text).line
    except ValueError as exc:
        raise InvalidField("key", f"{name}: not an SSH public key: {exc}") from None


def add_member(
    session: Session,
    email: str,
    roles: list[str],
    name: str | None = None,
    key_files: list[str] | None = None,
) -> PersonAdded:
    """Add a person to ``.opsctl/config.yaml``, or give an existing one more roles or keys."""
    keys = [read_public_key(session, name) for name in key_files or []]
    if not roles and not keys:
        raise InvalidField("role", "give at least one --role or --key")
    person = add_person(session.workspace, email, roles, name, keys)
    return PersonAdded(
        email=person.email,
        name=person.name,
        roles=list(person.roles),
        keys=list(person.keys),
        fingerprints=[parse_public_key(line).fingerprint for line in person.keys],
    )


class Member(View):
    """A person on the roster; ``keys`` (their SSH public keys) only when they have one."""

    email: str
    name: str
    roles: list[str]
    keys: list[str] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _without_empty_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("keys"):
            data.pop("keys", None)
        return data


class Team(Result):
    """``opsctl team list``: the roster, and every role known in the workspace."""

    KIND: ClassVar[str] = "team"

    people: list[Member]
    roles: list[str]


def list_team(session: Session) -> Team:
    """The people of the workspace's roster and every role known there."""
    config = session.config
    return Team(
        people=[Member.model_validate(person.model_dump()) for person in config.people],
        roles=list(config.all_roles()),
    )


class Assignment(View):
    """An open item of an active run assigned to a person."""

    run: str
    item: str
    assignee: str


def open_assignments(session: Session, email: str) -> list[Assignment]:
    """The items assigned to ``email`` that are still work, as ``opsctl assign`` hands them out.

    Not complete, applying to the run, in the current or a later phase of
    an active run. A run that cannot be read is an error, since its assignments cannot be known.
    """
    from opsctl.engine.applicability import applies
    from opsctl.engine.people import phase_passed
    from opsctl.engine.runs import resolve_item
    from opsctl.engine.selection import open_assignments as assigned_open
    from opsctl.store.documents import RunStatus

    headers, errors = session.runs.headers()
    if errors:
        raise errors[0]
    found = []
    for header in (h for h in headers if h.status is RunStatus.ACTIVE):
        framework = session.runs.framework_of(header)
        for key in assigned_open(header, session.today(), email):
            phase, item = resolve_item(framework, key)
            if applies(header, phase, item) and not phase_passed(header, framework, phase.id):
                found.append(Assignment(run=header.id, item=key, assignee=email))
    return found


def _reassign(session: Session, assignments: list[Assignment], successor: str) -> None:
    """Hand each open assignment to ``successor``, recorded in its run's history.

    Where the successor does not hold the item's owner role the assignment
    says so (``any_role``), as ``opsctl assign --any-role`` would.
    """
    from opsctl.engine.approvals import roles_of
    from opsctl.engine.people import assign
    from opsctl.engine.runs import resolve_item

    store, people = session.runs, session.config.people
    held = roles_of(successor, people)
    for assignment in assignments:
        with store.update(assignment.run) as document:
            framework = store.framework_of(document)
            _, item = resolve_item(framework, assignment.item)
            assign(
                document,
                framework,
                assignment.item,
                successor,
                people,
                session.actor,
                session.now(),
                any_role=item.owner not in held,
            )


def check_reassignment(email: str, assignments: list[Assignment], reassign_to: str | None) -> None:
    """Refuse to leave a removed person's open items with nobody: ``--reassign-to`` is needed."""
    if not assignments or reassign_to is not None:
        return
    shown = ", ".join(f"{a.run}:{a.item}" for a in assignments[:5])
    more = f" and {len(assignments) - 5} more" if len(assignments) > 5 else ""
    raise InvalidField(
        "reassign_to",
        f"{email} has {len(assignments)} open assigned item{'s' if len(assignments) != 1 else ''} "
        f"({shown}{more}); give --reassign-to EMAIL to hand them to someone on the roster",
    )


def _check_successor(session: Session, email: str, reassign_to: str | None) -> None:
    """``--reassign-to`` must name someone else on the roster."""
    if reassign_to is None:
        return
    if reassign_to.strip().lower() == email.strip().lower():
        raise InvalidField("reassign_to", f"{reassign_to} is the person being removed")
    if person_of(reassign_to, session.config.people) is None:
        known = ", ".join(p.email for p in session.config.people)
        raise InvalidField("reassign_to", f"'{reassign_to}' is not on the team roster ({known})")


def roles_still_needed(session: Session, roles: set[str]) -> dict[str, str]:
    """Which of ``roles`` an active run still needs for a sign-off, with one such run's id.

    A role is needed when a gate of the run's current phase, or of a phase
    after it, asks for its sign-off (a sign-off already given can be voided
    and asked for again, so it still counts).
    """
    from opsctl.store.documents import RunStatus

    if not roles:
        return {}
    headers, errors = session.runs.headers()
    if errors:
        raise errors[0]
    needed: dict[str, str] = {}
    for header in (h for h in headers if h.status is RunStatus.ACTIVE and h.phase):
        phases = session.runs.framework_of(header).phases
        start = next(i for i, phase in enumerate(phases) if phase.id == header.phase)
        for phase in phases[start:]:
            for role in roles.intersection(phase.gate.approvals):
                needed.setdefault(role, header.id)
    return needed


def _check_roles_kept(session: Session, email: str, losing: set[str]) -> None:
    """Refuse to take away the last holder of a role an active run still needs."""
    others = [p for p in session.config.people if p.email.lower() != email.lower()]
    orphaned = {role for role in losing if not any(role in p.roles for p in others)}
    needed = roles_still_needed(session, orphaned)
    if needed:
        role = sorted(needed)[0]
        raise UsageError(
            f"{email} is the last person holding {role}, whose sign-off run '{needed[role]}' "
            f"still needs; give the role to someone else first (opsctl team add EMAIL "
            f"--role {role})"
        )


def _member(session: Session, email: str) -> Person:
    _ = session.workspace
    person = person_of(email, session.config.people)
    if person is None:
        known = ", ".join(p.email for p in session.config.people) or "nobody yet"
        raise UsageError(f"'{email}' is not on the team roster (the roster: {known})")
    return person


class PersonRemoved(Result):
    """``opsctl team remove``: who left, and whether their keys were kept."""

    KIND: ClassVar[str] = "person-removed"

    email: str
    roles: list[str]
    keys_kept: int = Field(description="SSH keys kept under former_people for old sign-offs.")
    reassigned: list[Assignment] = Field(default_factory=list)
    reassigned_to: str | None = None


def remove_member(session: Session, email: str, reassign_to: str | None = None) -> PersonRemoved:
    """Take a person off the roster; their past actions stay in every run's history.

    Refused (exit 2, config.yaml unchanged) for someone not on the roster, a
    ``--reassign-to`` that is not someone else on the roster, open assigned
    items without ``--reassign-to``, and the last holder of a role an active
    run still needs for a sign-off.
    """
    person = _member(session, email)
    _check_successor(session, person.email, reassign_to)
    assignments = open_assignments(session, person.email)
    check_reassignment(person.email, assignments, reassign_to)
    _check_roles_kept(session, person.email, set(person.roles))
    if assignments and reassign_to is not None:
        _reassign(session, assignments, _member(session, reassign_to).email)
    removed = remove_person(session.workspace, person.email)
    return PersonRemoved(
        email=removed.email,
        roles=list(removed.roles),
        keys_kept=len(removed.keys),
        reassigned=assignments,
        reassigned_to=reassign_to if assignments else None,
    )


def edit_member(
    session: Session, email: str, roles: list[str] | None, name: str | None
) -> PersonAdded:
    """Replace a person's roles and/or set their name; keys are left as they are.

    Taking away the last holder of a role an active run still needs is refused.
    """
    if not roles and name is None:
        raise InvalidField("role", "give --role (repeatable) and/or --name")
    person = _member(session, email)
    if roles:
        _check_roles_kept(session, person.email, set(person.roles) - set(roles))
    edited = edit_person(session.workspace, person.email, roles or None, name)
    return PersonAdded(
        email=edited.email,
        name=edited.name,
        roles=list(edited.roles),
        keys=list(edited.keys),
        fingerprints=[parse_public_key(line).fingerprint for line in edited.keys],
    )
