"""The team roster in ``.opsctl/config.yaml``: who holds which roles and SSH keys.

The file is edited in round-trip mode (see :mod:`opsctl.definitions.config`),
so the comments and layout people wrote survive ``opsctl team add``, ``edit``
and ``remove``; the edited file is validated before it is written, so a
roster change can never leave a configuration that later commands refuse. A
key is appended to a person's ``keys`` (older keys stay, so older signed
sign-offs keep verifying); a key may belong to one person only, former
members included. Removing someone moves their keys to ``former_people``,
where they check old signatures and sign nothing new.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from opsctl.definitions.config import (
    Config,
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


def _edit_roster(workspace: Workspace, change: Callable[[Any, Config], Any]) -> Any:
    """Apply ``change`` to config.yaml's round-trip tree under the lock; validate, then write.

    ``change`` gets the tree and the configuration as it stands and returns
    the edited roster entry; nothing is written when it raises or when the
    edited file would not validate.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = workspace.config_path
    with locked(path):
        tree = parse_config_text(read_text(path), path) if path.exists() else None
        tree = tree if tree is not None else CommentedMap()
        current = validate_config(tree, path)
        if tree.get("people") is None:
            tree["people"] = CommentedSeq()
        entry = change(tree, current)
        tree["people"].fa.set_block_style()
        text = _dump(tree)
        validate_config(parse_config_text(text, path), path)
        atomic_write(path, text)
    return entry


def _as_person(entry: Any) -> Person:
    return Person.model_validate(
        {
            "email": entry["email"],
            "name": entry.get("name", ""),
            "roles": list(entry.get("roles") or []),
            "keys": list(entry.get("keys") or []),
        }
    )


def _take_former(tree: Any, email: str) -> Any:
    """Take a former member off ``former_people`` (they are back); returns their entry, if any."""
    former = tree.get("former_people") or []
    for index, entry in enumerate(former):
        if str(entry.get("email", "")).lower() == email.lower():
            del former[index]
            if not former:
                del tree["former_people"]
            return entry
    return None


def add_person(
    workspace: Workspace,
    email: str,
    roles: list[str],
    name: str | None,
    keys: list[str] | None = None,
) -> Person:
    """Add a person to the roster, or give an existing one more roles, keys (and a new name).

    A former member who comes back gets their kept keys (and name) back.
    """
    email = _check_person(email, roles, read_config(workspace.config_path).all_roles())

    def change(tree: Any, current: Config) -> Any:
        back = _take_former(tree, email) or {}
        entry = _entry(tree["people"], email, name or back.get("name"))
        for role in roles:
            if role not in entry["roles"]:
                entry["roles"].append(role)
        kept = [str(key) for key in back.get("keys") or []]
        others = [f.as_signer() for f in current.former_people if f.email.lower() != email.lower()]
        _add_keys(entry, kept + (keys or []), [*current.people, *others])
        return entry

    return _as_person(_edit_roster(workspace, change))


def _find(people: Any, email: str) -> tuple[int, Any]:
    """The index and entry of a person on the roster; a UsageError naming the roster otherwise."""
    for index, entry in enumerate(people):
        if str(entry.get("email", "")).lower() == email.strip().lower():
            return index, entry
    known = ", ".join(str(entry.get("email", "")) for entry in people) or "nobody yet"
    raise UsageError(f"'{email}' is not on the team roster (the roster: {known})")


def remove_person(workspace: Workspace, email: str) -> Person:
    """Take a person off the roster; their SSH keys move to ``former_people``.

    The keys stay so the sign-offs they signed keep verifying; a former
    member holds no role, so they cannot sign anything new.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(tree: Any, _current: Config) -> Any:
        index, entry = _find(tree["people"], email)
        del tree["people"][index]
        if entry.get("keys"):
            former = tree.get("former_people")
            if former is None:
                former = tree["former_people"] = CommentedSeq()
            kept = CommentedMap(email=entry["email"])
            if entry.get("name"):
                kept["name"] = entry["name"]
            kept["keys"] = CommentedSeq(entry["keys"])
            former.append(kept)
        return entry

    return _as_person(_edit_roster(workspace, change))


def edit_person(
    workspace: Workspace, email: str, roles: list[str] | None, name: str | None
) -> Person:
    """Replace a person's roles (when ``roles`` is given) and set their name (when given)."""
    from ruamel.yaml.comments import CommentedSeq

    known = read_config(workspace.config_path).all_roles()
    _check_person(email, roles or [], known)

    def change(tree: Any, _current: Config) -> Any:
        _, entry = _find(tree["people"], email)
        if roles is not None:
            entry["roles"] = CommentedSeq(dict.fromkeys(roles))
            entry["roles"].fa.set_flow_style()
        if name is not None:
            entry["name"] = name
        return entry

    return _as_person(_edit_roster(workspace, change))
