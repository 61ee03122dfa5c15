"""Typed results of use cases, and the one envelope ``--format json`` prints them in.

Every result is a Pydantic model with a ``KIND`` and a ``VERSION``; the CLI
prints ``{"kind": KIND, "version": VERSION, ...fields}`` for programs and
renders the same object as text for people. A shape changes only with a
new version (docs/json.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    """A part of a result, validated like any store document.

    Its schema is built on first use, so a command pays only for the result
    shapes it prints, not for every one its module defines.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Result(View):
    """The typed outcome of one use case."""

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def to_json(self) -> str:
        """The envelope as deterministic JSON text (sorted keys, trailing newline)."""
        from opsctl.store.files import dumps

        return dumps(self.envelope())

    def envelope(self) -> dict[str, Any]:
        """The JSON document for ``--format json``: kind, version and the result's fields."""
        return {
            "kind": self.KIND,
            "version": self.VERSION,
            **self.model_dump(mode="json", by_alias=True),
        }


class Message(Result):
    """A use case whose outcome is a sentence or two (created, recorded, wrote)."""

    KIND: ClassVar[str] = "message"

    lines: list[str]
