"""Pydantic models of a framework definition, and the checks across its parts.

A framework is what a team runs: ordered phases of checklist items, a gate
per phase, the KPIs it moves and the review cycles it is held to. The models
check shape and types; :func:`reference_errors` checks what the shape alone
cannot (unique ids, declared roles, gates naming real items).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from enum import Enum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsctl.definitions.conditions import Label, When, digest_form, when_errors
from opsctl.definitions.metric import Direction as Direction  # re-exported
from opsctl.definitions.metric import Metric as Metric  # re-exported
from opsctl.definitions.metric import metric_errors
from opsctl.definitions.names import BUILTIN_ROLES as BUILTIN_ROLES  # re-exported
from opsctl.definitions.names import RoleName as RoleName  # re-exported
from opsctl.definitions.names import Slug as Slug  # re-exported
from opsctl.errors import digest

Text = Annotated[str, Field(min_length=1)]
ClauseList = Annotated[
    list[Text],
    Field(description="Names of the seed clauses this part implements, for traceability."),
]

Loc = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)


class EvidenceKind(str, Enum):
    """What proof an item asks for when it is marked done."""

    NONE = "none"
    LINK = "link"
    FILE = "file"
    TEXT = "text"


class Cadence(str, Enum):
    """How often a review happens."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class FileCheck(_Strict):
    """Passes when a path or glob, relative to the repository root, matches a file."""

    kind: Literal["file"]
    path: Text


class CommandCheck(_Strict):
    """Passes when a command (an argv list, never a shell line) exits 0 in time."""

    kind: Literal["command"]
    argv: Annotated[list[Text], Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0, le=86_400)] = 600


class MetricCheck(_Strict):
    """Passes when the latest reading of a KPI meets a threshold in its direction."""

    kind: Literal["metric"]
    metric: Slug
    threshold: float


Check = Annotated[FileCheck | CommandCheck | MetricCheck, Field(discriminator="kind")]


class Item(_Strict):
    """One checkable statement of a phase's checklist."""

    id: Slug
    title: Text
    help: Text = Field(description="What done looks like, for the person ticking it.")
    owner: RoleName
    required: bool = True
    evidence: EvidenceKind = EvidenceKind.NONE
    check: Check | None = Field(
        default=None, description="How the item is verified automatically (opsctl check)."
    )
    enforce_owner: bool | None = Field(
        default=None,
        description="Only a holder of the owner role may complete it "
        "(default: the workspace's defaults.enforce_owner).",
    )
    when: When | None = Field(
        default=None, description="When the item applies; otherwise it is not applicable."
    )
    satisfies: ClauseList = []


class Gate(_Strict):
    """What must hold to leave a phase."""

    items: list[Slug] | None = Field(
        default=None,
        description="Items that must be complete; omitted means every required item.",
    )
    approvals: list[RoleName] = Field(
        default=[], description="Roles that must sign off before the phase is left."
    )
    separation_of_duties: bool = Field(
        default=False,
        description="An approver may not be the only person who completed the phase's items.",
    )


class Phase(_Strict):
    """An ordered step of a framework, with its checklist and gate."""

    id: Slug
    title: Text
    summary: str = ""
    group: str | None = Field(
        default=None,
        description="The group of phases this one belongs to, as the seed groups them.",
    )
    items: Annotated[list[Item], Field(min_length=1)]
    gate: Gate = Gate.model_construct()  # no validator built at import
    when: When | None = Field(
        default=None,
        description="When the phase applies; otherwise its items are not applicable "
        "and its gate asks for nothing.",
    )
    satisfies: ClauseList = []

    def gate_items(self) -> list[Item]:
        """The items that must be complete to pass this phase's gate."""
        if self.gate.items is None:
            return [item for item in self.items if item.required]
        wanted = set(self.gate.items)
        return [item for item in self.items if item.id in wanted]


class Review(_Strict):
    """A review cycle the framework is held to."""

    cadence: Cadence
    title: Text
    help: str = ""


class Framework(_Strict):
    """A framework definition: one YAML file."""

    id: Slug
    title: Text
    area: Text = Field(description="The part of the operating model this belongs to.")
    summary: Text
    level: str = ""
    audience: list[RoleName] = []
    review: list[Review] = []
    approval: RoleName | None = Field(
        default=None, description="The role that signs off the framework's use."
    )
    labels: list[Label] = Field(
        default=[], description="Labels a run may carry (opsctl start --label), for `when`."
    )
    phases: Annotated[list[Phase], Field(min_length=1)]
    metrics: list[Metric] = []
    satisfies: ClauseList = []

    def phase(self, phase_id: str) -> Phase | None:
        """The phase with this id, if any."""
        return next((phase for phase in self.phases if phase.id == phase_id), None)

    def iter_items(self) -> Iterator[tuple[Phase, Item]]:
        """Every item with its phase, in order."""
        for phase in self.phases:
            for item in phase.items:
                yield phase, item

    @cached_property
    def required_keys(self) -> frozenset[str]:
        """The ``phase/item`` keys of every required item (computed once per definition)."""
        return frozenset(
            f"{phase.id}/{item.id}" for phase, item in self.iter_items() if item.required
        )

    @cached_property
    def conditional_keys(self) -> frozenset[str]:
        """The ``phase/item`` keys of items that apply only under a condition."""
        return frozenset(
            f"{phase.id}/{item.id}"
            for phase, item in self.iter_items()
            if phase.when is not None or item.when is not None
        )

    @cached_property
    def applicability_memo(self) -> dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]]:
        """Keys not applicable, by (labels, facts): ten thousand runs share a few combinations."""
        return {}

    def item_count(self) -> int:
        """How many checklist items the framework has in all."""
        return sum(len(phase.items) for phase in self.phases)

    def clauses(self) -> set[str]:
        """Every seed clause named by the framework or one of its parts."""
        names = set(self.satisfies)
        for phase in self.phases:
            names.update(phase.satisfies)
            for item in phase.items:
                names.update(item.satisfies)
        for metric in self.metrics:
            names.update(metric.satisfies)
        return names


def _duplicates(ids: list[str], loc_of: list[Loc], what: str) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for ident, loc in zip(ids, loc_of, strict=True):
        if ident in seen:
            yield loc, f"duplicate {what} id '{ident}'"
        seen.add(ident)


def _role_error(role: str, roles: Collection[str]) -> str | None:
    if role in roles:
        return None
    return f"unknown role '{role}' (known: {', '.join(sorted(roles))})"


def _role_refs(framework: Framework) -> Iterator[tuple[Loc, str]]:
    for index, role in enumerate(framework.audience):
        yield ("audience", index), role
    if framework.approval is not None:
        yield ("approval",), framework.approval
    for p_index, phase in enumerate(framework.phases):
        for i_index, item in enumerate(phase.items):
            yield ("phases", p_index, "items", i_index, "owner"), item.owner
        for a_index, role in enumerate(phase.gate.approvals):
            yield ("phases", p_index, "gate", "approvals", a_index), role


def _condition_errors(framework: Framework) -> Iterator[tuple[Loc, str]]:
    """Labels declared once; conditions name declared labels; the first phase always applies."""
    declared = [label.id for label in framework.labels]
    locs: list[Loc] = [("labels", index, "id") for index in range(len(declared))]
    yield from _duplicates(declared, locs, "label")
    conditions: list[tuple[Loc, When | None]] = []
    for p_index, phase in enumerate(framework.phases):
        conditions.append((("phases", p_index, "when"), phase.when))
        conditions += [
            (("phases", p_index, "items", i_index, "when"), item.when)
            for i_index, item in enumerate(phase.items)
        ]
    for base, when in conditions:
        for loc, message in when_errors(when, declared) if when else ():
            yield (*base, *loc), message
    if framework.phases[0].when is not None:
        yield ("phases", 0, "when"), "the first phase always applies; put conditions on its items"


def reference_errors(
    framework: Framework, roles: Collection[str] = BUILTIN_ROLES
) -> list[tuple[Loc, str]]:
    """Problems across parts of a framework, each with the field path it concerns.

    Kept apart from the models so every problem of a file is reported at once,
    each at its own field, rather than the first one aborting validation.
    """
    errors: list[tuple[Loc, str]] = []
    errors.extend(
        _duplicates(
            [phase.id for phase in framework.phases],
            [("phases", index, "id") for index in range(len(framework.phases))],
            "phase",
        )
    )
    for p_index, phase in enumerate(framework.phases):
        base: Loc = ("phases", p_index)
        errors.extend(
            _duplicates(
                [item.id for item in phase.items],
                [(*base, "items", index, "id") for index in range(len(phase.items))],
                "item",
            )
        )
        known_items = {item.id for item in phase.items}
        for g_index, item_id in enumerate(phase.gate.items or []):
            if item_id not in known_items:
                errors.append(
                    (
                        (*base, "gate", "items", g_index),
                        f"gate names unknown item '{item_id}' "
                        f"(items of phase '{phase.id}': {', '.join(sorted(known_items))})",
                    )
                )
    errors.extend(
        _duplicates(
            [metric.id for metric in framework.metrics],
            [("metrics", index, "id") for index in range(len(framework.metrics))],
            "metric",
        )
    )
    errors.extend(metric_errors(framework.metrics))
    errors.extend(_condition_errors(framework))
    cadences = [review.cadence.value for review in framework.review]
    errors.extend(
        (loc, message.replace("review id", "review cadence"))
        for loc, message in _duplicates(
            cadences, [("review", index, "cadence") for index in range(len(cadences))], "review"
        )
    )
    for loc, role in _role_refs(framework):
        message = _role_error(role, roles)
        if message:
            errors.append((loc, message))
    return errors


def definition_digest(framework: Framework) -> str:
    """A content digest of a definition, to pin runs and notice edits."""
    return digest(digest_form(framework.model_dump(mode="json")))
