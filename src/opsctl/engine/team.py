"""The team roster in ``.opsctl/config.yaml``: who holds which roles and SSH keys.

The file is edited in round-trip mode (see :mod:`opsctl.definitions.config`),
so the comments and layout people wrote survive ``opsctl team add``; the
edited file is validated before it is written, so a roster change can never
leave a configuration that later commands refuse. A key is appended to a
person's ``keys`` (older keys stay, so older signed sign-offs keep
verifying); a key may belong to one person only.
"""

from __future__ import annotations

import io
from typing import Any

from opsctl.definitions.config import (
    Person,
    parse_config_text,
    read_config,
    round_trip_yaml,
    validate_config,
)
from opsctl.definitions.loader import read_text
from opsctl.engine.signatures import holders_of_key, parse_public_key
from opsctl.errors import UsageError
from opsctl.store.files import atomic_write, locked
from opsctl.store.workspace import Workspace


def _check_person(email: str, roles: list[str], known: tuple[str, ...]) -> str:
    email = email.strip()
    if not email or any(ch.isspace() for ch in email):
        raise UsageError(f"person {email!r}: give an email or user name without spaces")
    unknown = [role for role in roles if role not in known]
    if unknown:
        raise UsageError(
            f"unknown role '{unknown[0]}' (known: {', '.join(known)}); "
            "declare new roles under 'roles:' in .opsctl/config.yaml"
        )
    return email


def _entry(people: Any, email: str, name: str | None) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = next((p for p in people if str(p.get("email", "")).lower() == email.lower()), None)
    if entry is None:
        entry = CommentedMap(email=email, roles=CommentedSeq())
        if name:
            entry.insert(1, "name", name)
        entry.fa.set_flow_style()
        entry["roles"].fa.set_flow_style()
        people.append(entry)
    elif name:
        entry["name"] = name
    if entry.get("roles") is None:
        entry["roles"] = CommentedSeq()
        entry["roles"].fa.set_flow_style()
    return entry


def _dump(tree: Any) -> str:
    """The edited tree as text; long lines (SSH keys) are never folded."""
    handler = round_trip_yaml()
    handler.width = 1 << 16
    output = io.StringIO()
    handler.dump(tree, output)
    return output.getvalue()


def _add_keys(entry: Any, keys: list[str], people: list[Person]) -> None:
    """Append new keys to a person's entry; a key another person holds is refused."""
    from ruamel.yaml.comments import CommentedSeq

    email = str(entry["email"])
    for line in keys:
        key = parse_public_key(line)
        others = [e for e in holders_of_key(key.blob, people) if e.lower() != email.lower()]
        if others:
            raise UsageError(
                f"the key {key.fingerprint} is already {others[0]}'s in the roster; "
                "a key signs for one person only"
            )
        if holders_of_key(key.blob, people):
            continue
        if entry.get("keys") is None:
            entry["keys"] = CommentedSeq()
        entry["keys"].append(key.line)
        entry.fa.set_block_style()
        entry["roles"].fa.set_flow_style()


def add_person(
    workspace: Workspace,
    email: str,
    roles: list[str],
    name: str | None,
    keys: list[str] | None = None,
) -> Person:
    """Add a person to the roster, or give an existing one more roles, keys (and a new name)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = workspace.config_path
    email = _check_person(email, roles, read_config(path).all_roles())
    with locked(path):
        tree = parse_config_text(read_text(path), path) if path.exists() else None
        tree = tree if tree is not None else CommentedMap()
        current = validate_config(tree, path).people
        people = tree.get("people")
        if people is None:
            people = tree["people"] = CommentedSeq()
        entry = _entry(people, email, name)
        for role in roles:
            if role not in entry["roles"]:
                entry["roles"].append(role)
        _add_keys(entry, keys or [], current)
        people.fa.set_block_style()
        text = _dump(tree)
        validate_config(parse_config_text(text, path), path)
        atomic_write(path, text)
    return Person.model_validate(
        {
            "email": entry["email"],
            "name": entry.get("name", ""),
            "roles": list(entry["roles"]),
            "keys": list(entry.get("keys") or []),
        }
    )
