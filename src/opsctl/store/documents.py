"""Pydantic models of the documents opsctl keeps in a workspace's store.

A run document is the whole truth about one run: the state of each item,
the approvals given, the current phase and the history that led there.
Every document carries a ``schema`` version; :mod:`opsctl.store.files` upgrades
older ones and refuses newer ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from opsctl.definitions.names import SLUG_PATTERN
from opsctl.errors import UsageError, digest
from opsctl.store.versions import RUN_SCHEMA as RUN_SCHEMA

RunId = str


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ItemStatus(str, Enum):
    """Where a checklist item stands."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


class RunStatus(str, Enum):
    """Where a run stands."""

    ACTIVE = "active"
    COMPLETED = "completed"


class ItemState(_Doc):
    """The recorded state of one item; absent from a run means open."""

    status: ItemStatus
    by: str
    at: AwareDatetime
    evidence: str | None = None
    note: str | None = None
    reason: str | None = None
    expires: dt.date | None = Field(default=None, description="When a waiver (skip) lapses.")


class Assignment(_Doc):
    """Who an item is handed to and by when (``opsctl assign``); absent: nobody, no date."""

    assignee: str | None = None
    due: dt.date | None = None
    any_role: bool | None = Field(
        default=None, description="True: assigned to someone not holding the item's owner role."
    )


class Comment(_Doc):
    """A remark left on a run or one of its items (``opsctl comment``)."""

    at: AwareDatetime
    by: str
    item: str | None = None
    text: str


class Approval(_Doc):
    """A sign-off of a phase's gate by a person acting in a role."""

    phase: str
    role: str
    by: str
    at: AwareDatetime
    comment: str | None = None
    digest: str = Field(description="Digest of the phase's item states when approved.")
    voided: str | None = Field(default=None, description="Why the approval no longer counts.")


class Event(_Doc):
    """One entry of a run's history: who did what, when."""

    at: AwareDatetime
    actor: str
    action: str
    phase: str | None = None
    item: str | None = None
    detail: dict[str, str] = {}
    prev: str = Field(default="", description="Hash of the event before this one.")
    hash: str = Field(default="", description="Hash of this event, including prev.")

    def content_hash(self) -> str:
        """The hash this event should carry: its content and its predecessor's hash."""
        return digest(self.model_dump(mode="json", exclude_none=True, exclude={"hash"}))


def chain_history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upgrade run documents of schema 1: link their history into a hash chain."""
    previous = ""
    for raw in events:
        raw["prev"] = previous
        raw.pop("hash", None)
        raw["hash"] = previous = Event.model_validate(raw).content_hash()
    return events


def upgrade_run_1_to_2(document: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 to 2: the history becomes a hash chain."""
    if isinstance(document.get("history"), list) and document["history"]:
        document["head"] = chain_history(document["history"])[-1]["hash"]
    return document


RUN_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: upgrade_run_1_to_2}
"""Schema N to N+1 upgrades of run documents, applied in order."""


class PinnedFramework(_Doc):
    """The definition a run follows, pinned by digest so edits never move it silently."""

    id: str
    digest: str


class RunHeader(_Doc):
    """The part of a run document that listings need; the history is skipped unread.

    ``opsctl runs`` reads only this, so listing a thousand runs does not
    validate a hundred thousand history events.
    """

    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    schema_: int = Field(RUN_SCHEMA, alias="schema", strict=True)
    id: str = Field(pattern=SLUG_PATTERN, max_length=64)
    title: str = Field(min_length=1)
    framework: PinnedFramework
    created: AwareDatetime
    due: dt.date | None = None
    status: RunStatus = RunStatus.ACTIVE
    phase: str | None = Field(default=None, description="The current phase; none once completed.")
    completed: AwareDatetime | None = None
    items: dict[str, ItemState] = Field(
        default={}, description="State by 'phase/item'; an absent item is open."
    )
    refs: list[str] | None = Field(
        default=None,
        description="Git refs (tags, branches) this run is for; absent until one is linked.",
    )
    labels: list[str] | None = Field(
        default=None,
        description="Labels the run carries (opsctl start --label, opsctl label); "
        "absent until one is set.",
    )
    facts: list[str] | None = Field(
        default=None,
        description="Paths named by the definition's conditions that matched a file or folder "
        "when last evaluated (at start, on a label change, on upgrade); absent while none did.",
    )
    assignments: dict[str, Assignment] | None = Field(
        default=None,
        description="Assignee and due date by 'phase/item' (opsctl assign); absent until set.",
    )


class RunState(RunHeader):
    """A run document without its history: everything a gate check reads.

    ``check --all`` and the run index (:mod:`opsctl.store.index`) work on
    these, so checking ten thousand runs does not hold a million events.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    kind: Literal["run"] = "run"
    created_by: str
    approvals: list[Approval] = []
    comments: list[Comment] | None = Field(
        default=None, description="Comments on the run and its items, oldest first."
    )
    head: str = Field(
        default="",
        description="Hash of the last event. Every write changes this line, so two "
        "diverging edits always conflict in a plain git merge instead of merging wrongly.",
    )


class RunDocument(RunState):
    """``.opsctl/runs/<id>.json``."""

    history: list[Event] = []


def validate_run_id(run_id: str) -> str:
    """A run id is a slug, so it is a safe file name."""
    if not re.fullmatch(SLUG_PATTERN, run_id) or len(run_id) > 64:
        raise UsageError(
            f"run id {run_id!r}: use lowercase letters, digits and single hyphens (e.g. rel-2-4)"
        )
    return run_id


def normalize_ref(ref: str) -> str:
    """A git ref as people name it: ``refs/tags/v2.4`` and ``v2.4`` are the same tag."""
    for prefix in ("refs/tags/", "refs/heads/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref
