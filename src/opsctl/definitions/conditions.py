"""Conditions on a run: when an item or phase applies, and the labels a framework declares.

A condition (``when:``) names run labels (``opsctl start --label``, ``opsctl
label``) and repository facts (a path or glob that matches). Nothing here
reads files: the caller evaluates the paths a framework names, once, and the
run keeps which matched, so whether an item applies is stable and replayable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from opsctl.definitions.names import SLUG_PATTERN

LabelId = Annotated[
    str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64, examples=["data-migration"])
]
PathGlob = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="A path or glob relative to the repository root (no commas).",
        examples=["db/migrations/*.sql"],
    ),
]

Loc = tuple[str | int, ...]


class Label(BaseModel):
    """A label a run of the framework may carry, saying what kind of change it is."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)

    id: LabelId
    help: str = Field(min_length=1, description="When to put this label on a run.")


class When(BaseModel):
    """When an item or phase applies to a run; every condition given must hold."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)

    labels: list[LabelId] = Field(default=[], description="The run carries every one of these.")
    any_labels: list[LabelId] = Field(
        default=[], description="The run carries at least one of these."
    )
    not_labels: list[LabelId] = Field(default=[], description="The run carries none of these.")
    paths: list[PathGlob] = Field(
        default=[],
        description="Each path or glob matches a file or folder of the repository "
        "(evaluated when the run starts, when its labels change and on upgrade).",
    )

    def holds(self, labels: Collection[str], facts: Collection[str]) -> bool:
        """Whether a run with these labels, and these paths found, meets the condition."""
        return (
            all(label in labels for label in self.labels)
            and (not self.any_labels or any(label in labels for label in self.any_labels))
            and not any(label in labels for label in self.not_labels)
            and all(path in facts for path in self.paths)
        )

    def label_refs(self) -> Iterator[tuple[Loc, str]]:
        """Every label named, with its field path below ``when``."""
        for name in ("labels", "any_labels", "not_labels"):
            for index, label in enumerate(getattr(self, name)):
                yield (name, index), label

    def describe(self) -> str:
        """The condition in words: ``label data-migration; path db/** exists``."""
        parts = []
        if self.labels:
            parts.append("label " + " and ".join(self.labels))
        if self.any_labels:
            parts.append("label " + " or ".join(self.any_labels))
        if self.not_labels:
            parts.append("no label " + " or ".join(self.not_labels))
        parts += [f"path {path} exists" for path in self.paths]
        return "; ".join(parts)


def when_errors(when: When, declared: Collection[str]) -> Iterator[tuple[Loc, str]]:
    """Problems of one condition: no condition at all, undeclared labels, unsafe paths."""
    if not (when.labels or when.any_labels or when.not_labels or when.paths):
        yield (), "give at least one of labels, any_labels, not_labels or paths"
    known = ", ".join(sorted(declared)) or "none; declare them under 'labels:'"
    for loc, label in when.label_refs():
        if label not in declared:
            yield loc, f"unknown label '{label}' (declared: {known})"
    for index, path in enumerate(when.paths):
        pure = PurePosixPath(path.strip())
        if "," in path or pure.is_absolute() or ".." in pure.parts or str(pure) == ".":
            yield (
                ("paths", index),
                f"'{path}' must be a relative path or glob below the repository root, "
                "without '..' or commas",
            )


LATER_FIELDS: dict[str, tuple[str, ...]] = {
    "framework": ("labels",),
    "phase": ("group", "when"),
    "item": ("when",),
}
"""Fields added after runs were first pinned; left out of a digest while unused."""


def _drop_unused(data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if data.get(name) in (None, []):
            data.pop(name, None)


def digest_form(data: dict[str, Any]) -> dict[str, Any]:
    """A framework's JSON form without the later fields it does not use.

    So a definition that uses no condition, label or group keeps the digest
    it had before these fields existed, and runs pinned to it stay pinned.
    """
    _drop_unused(data, LATER_FIELDS["framework"])
    for phase in data.get("phases", []):
        _drop_unused(phase, LATER_FIELDS["phase"])
        for item in phase.get("items", []):
            _drop_unused(item, LATER_FIELDS["item"])
    return data
