"""The team roster in ``.opsctl/config.yaml``: who holds which roles.

The file is edited with ruamel.yaml's round-trip mode, so the comments and
layout people wrote survive ``opsctl team add``.
"""

from __future__ import annotations

import io
from typing import Any

from opsctl.errors import UsageError
from opsctl.store.files import atomic_write, locked
from opsctl.store.workspace import Person, Workspace


def _yaml() -> Any:
    from ruamel.yaml import YAML

    handler = YAML()
    handler.preserve_quotes = True
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return handler


def add_person(workspace: Workspace, email: str, roles: list[str], name: str | None) -> Person:
    """Add a person to the roster, or give an existing one more roles (and a new name)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    email = email.strip()
    if not email or any(ch.isspace() for ch in email):
        raise UsageError(f"person {email!r}: give an email or user name without spaces")
    config = workspace.config()
    known = config.all_roles()
    unknown = [role for role in roles if role not in known]
    if unknown:
        raise UsageError(
            f"unknown role '{unknown[0]}' (known: {', '.join(known)}); "
            "declare new roles under 'roles:' in .opsctl/config.yaml"
        )
    handler = _yaml()
    with locked(workspace.config_path):
        text = workspace.config_path.read_text(encoding="utf-8")
        document = handler.load(text) or CommentedMap()
        people = document.get("people")
        if people is None:
            people = document["people"] = CommentedSeq()
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
        for role in roles:
            if role not in entry["roles"]:
                entry["roles"].append(role)
        people.fa.set_block_style()
        output = io.StringIO()
        handler.dump(document, output)
        atomic_write(workspace.config_path, output.getvalue())
    return Person.model_validate(
        {"email": entry["email"], "name": entry.get("name", ""), "roles": list(entry["roles"])}
    )
