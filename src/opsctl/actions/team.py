"""Use cases on the team roster: add a person with roles and keys, list the people and roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.engine.signatures import parse_public_key
from opsctl.engine.team import add_person
from opsctl.errors import InvalidField

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
