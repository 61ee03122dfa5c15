"""Use cases on the team roster: add a person with roles, list the people and roles."""

from __future__ import annotations

from typing import ClassVar

from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.definitions.config import Person
from opsctl.engine.team import add_person


class PersonAdded(Result):
    """A person now on the roster, with every role they hold."""

    KIND: ClassVar[str] = "person"

    email: str
    name: str
    roles: list[str]


def add_member(
    session: Session, email: str, roles: list[str], name: str | None = None
) -> PersonAdded:
    """Add a person to ``.opsctl/config.yaml``, or give an existing one more roles."""
    person = add_person(session.workspace, email, roles, name)
    return PersonAdded(email=person.email, name=person.name, roles=list(person.roles))


class Team(Result):
    """``opsctl team list``: the roster, and every role known in the workspace."""

    KIND: ClassVar[str] = "team"

    people: list[Person]
    roles: list[str]


def list_team(session: Session) -> Team:
    """The people of the workspace's roster and every role known there."""
    config = session.workspace.config()
    return Team(people=list(config.people), roles=list(config.all_roles()))
