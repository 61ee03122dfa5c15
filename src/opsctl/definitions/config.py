"""The workspace configuration, ``.opsctl/config.yaml``: team, roles, people, defaults.

One YAML library reads and writes this file: ruamel.yaml in round-trip mode
(YAML 1.2), so ``opsctl team add`` keeps the comments people wrote and a
value means the same to the reader as to the writer (``no`` is text, not
false). Errors name the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from opsctl.definitions.names import BUILTIN_ROLES, RoleName, Slug
from opsctl.definitions.source import read_text
from opsctl.errors import DefinitionError, Diagnostic, format_loc

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails


SSH_KEY_PATTERN = (
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com"
    r"|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$"
)
"""One line of an SSH public key file: type, base64 key, optional comment."""


def _ssh_public_key(value: str) -> str:
    if re.match(SSH_KEY_PATTERN, value) is None:
        raise ValueError(
            "not an SSH public key: expected one line 'TYPE BASE64 [COMMENT]' as in a .pub "
            "file, TYPE being ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256 or another OpenSSH type"
        )
    return value


SshPublicKey = Annotated[str, AfterValidator(_ssh_public_key)]


class Person(BaseModel):
    """A member of the team, the roles they hold and the SSH keys that sign for them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: str = Field(min_length=1)
    name: str = ""
    roles: list[RoleName] = []
    keys: list[SshPublicKey] = Field(
        default=[],
        description="SSH public keys (one line of a .pub file each) that sign this person's "
        "sign-offs when signoffs is 'signed'; older keys stay listed so old sign-offs verify.",
    )


class FormerPerson(BaseModel):
    """Someone removed from the team whose SSH keys still verify their past sign-offs."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1)
    name: str = ""
    keys: list[SshPublicKey] = Field(
        default=[],
        description="Their keys, kept so the sign-offs they signed keep verifying.",
    )

    def as_signer(self) -> Person:
        """The roster entry signature checks read: their keys, and no role."""
        return Person(email=self.email, name=self.name, keys=self.keys)


class Defaults(BaseModel):
    """Defaults applied to new runs."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    due_in_days: int | None = Field(default=None, ge=1, le=3650)
    enforce_owner: bool = Field(
        default=False, description="Only holders of an item's owner role may complete it."
    )


class Config(BaseModel):
    """``.opsctl/config.yaml``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    team: str = ""
    roles: list[Slug] = Field(default=[], description="Roles beyond the built-in ones.")
    people: list[Person] = []
    defaults: Defaults = Defaults.model_construct()  # no validator built at import
    signoffs: Literal["unsigned", "signed"] = Field(
        default="unsigned",
        description="'signed': approve and revoke sign each sign-off with the person's SSH key, "
        "and audit verify and sync-check check every signature against the people's keys.",
    )
    signed_since: dt.date | None = Field(
        default=None,
        description="With signoffs 'signed': sign-offs recorded before this date may be unsigned.",
    )
    former_people: list[FormerPerson] = Field(
        default=[],
        description="People removed with 'opsctl team remove' who had SSH keys: they hold no "
        "role, and their keys only check the sign-offs they signed before.",
    )

    def signers(self) -> list[Person]:
        """Everyone whose keys check recorded signatures: the team, then former members."""
        return [*self.people, *(former.as_signer() for former in self.former_people)]

    def all_roles(self) -> tuple[str, ...]:
        """The built-in roles followed by the workspace's own."""
        return BUILTIN_ROLES + tuple(role for role in self.roles if role not in BUILTIN_ROLES)


CONFIG_TEMPLATE = """\
# opsctl workspace configuration. Safe to commit: it holds no secrets.
team: {team}
# Roles beyond the built-in ones (product-director, product-manager,
# operations, development, qa), e.g. [security, legal].
roles: []
# The people of the team and their roles, e.g.
#   - {{email: alice@example.com, name: Alice, roles: [product-director]}}
people: []
defaults:
  # Due date for new runs, in days from their start (null: none).
  due_in_days: null
  # Only people holding an item's owner role may complete it.
  enforce_owner: false
"""


def round_trip_yaml() -> Any:
    """The one YAML handler for config.yaml: round-trip, comments kept, YAML 1.2."""
    from ruamel.yaml import YAML

    handler = YAML()
    handler.preserve_quotes = True
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return handler


def parse_config_text(text: str, path: Path) -> Any:
    """The round-trip tree of a config file, or a DefinitionError placed at the YAML error."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(f"{exc.context or ''} {exc.problem or 'invalid YAML'}".split())
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise DefinitionError([Diagnostic(str(path), line, column, problem)]) from None
    except YAMLError as exc:
        message = "invalid YAML: " + " ".join(str(exc).split())
        raise DefinitionError([Diagnostic(str(path), None, None, message)]) from None


def dump_config(tree: Any) -> str:
    """The text of an edited round-trip tree."""
    output = io.StringIO()
    round_trip_yaml().dump(tree, output)
    return output.getvalue()


def read_config(path: Path) -> Config:
    """The parsed configuration; a missing file is the default one."""
    if not path.exists():
        return Config()
    text = read_text(path)
    return validate_config(parse_config_text(text, path), path)


def validate_config(tree: Any, path: Path) -> Config:
    """Validate a round-trip tree; every problem is placed at its line and field."""
    if tree is None:
        return Config()
    if not isinstance(tree, dict):
        from opsctl.definitions.diagnostics import yaml_value

        message = f"expected a mapping of settings, found {yaml_value(_plain(tree))}"
        raise DefinitionError([Diagnostic(str(path), 1, 1, message)])
    try:
        return Config.model_validate(_plain(tree))
    except ValidationError as exc:
        raise DefinitionError([_diagnostic(tree, error, path) for error in exc.errors()]) from None


def _plain(value: Any) -> Any:
    """Round-trip containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(key) if isinstance(key, str) else key: _plain(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def _position(tree: Any, loc: tuple[int | str, ...], at_key: bool) -> tuple[int, int] | None:
    """The 1-based (line, column) of the deepest part of ``loc`` found in the tree."""
    node: Any = tree
    found = None
    for index, part in enumerate(loc):
        marks = getattr(node, "lc", None)
        if marks is None:
            break
        if isinstance(node, dict) and part in node:
            at_this_key = at_key and index == len(loc) - 1
            line, column = marks.key(part) if at_this_key else marks.value(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            line, column = marks.item(part)
        else:
            break
        found, node = (line + 1, column + 1), node[part]
    return found


def _owner_fields(loc: tuple[int | str, ...]) -> list[str]:
    """The fields allowed where an unknown one was found."""
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return list(model.model_fields)


def _message(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    from opsctl.definitions.diagnostics import yaml_value

    if error["type"] == "extra_forbidden":
        allowed = _owner_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        return f"unknown field ({hint})"
    message = error["msg"][0].lower() + error["msg"][1:]
    if error["type"] == "missing":
        return message
    return f"{message} (got {yaml_value(error.get('input'))})"


def _diagnostic(tree: Any, error: ErrorDetails, path: Path) -> Diagnostic:
    loc = tuple(error["loc"])
    position = _position(tree, loc, at_key=error["type"] == "extra_forbidden")
    line, column = position if position else (1, 1)
    return Diagnostic(str(path), line, column, _message(error, loc), format_loc(loc))
