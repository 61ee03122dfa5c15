"""``portfolio.yaml``: the workspaces an organisation's portfolio reads.

Each source is a local folder (``path``) or a git repository (``git``: any
URL git accepts, read at ``ref``, a branch or tag; the remote's default
branch when absent), with the workspace in ``folder`` inside it. The file
is read strictly (no duplicate keys, no tags) and every problem is placed at
its ``file:line:column`` and field, like a framework file.

``--source`` flags give the same sources on the command line:
``PATH``, or ``URL`` with an optional ``#REF`` (``file:///srv/a.git#v1.2``).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opsctl.errors import Diagnostic, InvalidField, UsageError

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:")
"""What reads as a git URL: ``scheme://...`` or scp-like ``user@host:path``."""
_NAME = r"^[a-z0-9][a-z0-9._-]*$"


class SourceSpec(BaseModel):
    """One workspace to read: a local folder or a git repository at a ref."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, pattern=_NAME, description="The team's name in the portfolio."
    )
    path: str | None = Field(default=None, min_length=1, description="A local workspace folder.")
    git: str | None = Field(default=None, min_length=1, description="A repository URL.")
    ref: str | None = Field(default=None, min_length=1, description="A branch or tag (git only).")
    folder: str = Field(default="", description="The workspace's folder inside the repository.")

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSpec:
        if (self.path is None) == (self.git is None):
            raise ValueError("give exactly one of 'path' (a folder) or 'git' (a repository URL)")
        if self.path is not None and (self.ref is not None or self.folder):
            raise ValueError("'ref' and 'folder' apply to a 'git' source only")
        if self.folder.startswith("/") or ".." in self.folder.split("/"):
            raise ValueError("'folder' must be a folder inside the repository, without '..'")
        return self

    def label(self) -> str:
        """How the source is shown: the folder as written, or ``URL#ref``."""
        if self.git is None:
            return str(self.path)
        where = f"{self.git}#{self.ref}" if self.ref else self.git
        return f"{where}:{self.folder}" if self.folder else where


class PortfolioFile(BaseModel):
    """The whole ``portfolio.yaml``."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(default="", description="The organisation's name, for the title.")
    sources: list[SourceSpec] = Field(min_length=1)


def source_from_flag(value: str) -> SourceSpec:
    """A ``--source`` value: a URL (``#REF`` optional) is a git source, anything else a folder."""
    try:
        if _URL.match(value) or value.endswith(".git") or "#" in value:
            url, _, ref = value.partition("#")
            return SourceSpec(git=url, ref=ref or None)
        return SourceSpec(path=value)
    except ValidationError as exc:
        problem = _message(dict(exc.errors()[0]), [])
        raise InvalidField("source", f"{value!r}: {problem}") from None


def _message(error: dict[str, object], allowed: list[str]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return "must be a lowercase name such as 'payments'"
    text = str(error["msg"]).removeprefix("Value error, ")
    return text[0].lower() + text[1:]


def _allowed(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = SourceSpec if "sources" in loc[:-1] else PortfolioFile
    return list(model.model_fields)


def load_portfolio(path: Path) -> PortfolioFile:
    """Read and check a portfolio file; a problem is one line naming file:line:column and field.

    Relative ``path`` sources are read from the file's own folder (the caller
    resolves them, so the output shows each path as it is written).
    """
    from opsctl.definitions.diagnostics import describe
    from opsctl.definitions.loader import locate, parse_yaml, read_text

    if not path.is_file():
        raise UsageError(f"{path}: no such portfolio file")
    text = read_text(path)
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        found = "nothing" if data is None else describe(data)
        raise UsageError(str(Diagnostic(str(path), 1, 1, f"expected a mapping, found {found}")))
    try:
        portfolio = PortfolioFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            (tuple(error["loc"]), _message(dict(error), _allowed(tuple(error["loc"]))))
            for error in exc.errors()
        ]
        raise UsageError(*(str(d) for d in locate(text, path, problems))) from None
    return portfolio
