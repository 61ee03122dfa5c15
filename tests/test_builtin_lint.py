"""A lint over the built-in frameworks: no filler, a concrete "done when", operations signs last.

Each rule is a function over one framework returning its problems, so the
rules themselves are tested on frameworks built to break them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from opsctl.definitions.catalog import load_catalog
from opsctl.definitions.model import Framework, Item

REPO = Path(__file__).resolve().parents[1]
SEED_SENTENCES = (REPO / "tests" / "seed_sentences.txt").read_text(encoding="utf-8").splitlines()
"""The seed's bullet sentences and checkbox lines, which an item may serve but not restate."""

SEED_GROUPS = [
    "Development Methodology",
    "Development Process Optimization",
    "Feature Development Process",
    "Feature Delivery Framework",
    "Product Delivery Process",
    "Deployment Framework",
    "Release Management Process",
    "Release Optimization Framework",
    "Quality Assurance Process",
    "Testing Framework",
    "Quality Control Process",
    "Quality Improvement Framework",
    "Operations Process Management",
    "Operations Coordination Framework",
    "Process Improvement Framework",
    "Process Excellence Framework",
    "Process Automation Framework",
    "Workflow Automation Framework",
    "Operations Analytics Framework",
    "Operations Optimization Framework",
    "Product-Marketing Operations Integration",
    "Product-Sales Operations Integration",
    "Product-Customer Success Operations Integration",
    "Operations Success Criteria",
    "Operations Success Validation",
    "Business Impact Validation",
]
"""The seed's 26 bold groups of clauses."""

FILLER = ("success validation", "success tracking", "enhancement planning", "optimization planning")
"""The seed's most repeated phrases; a title made of them says nothing checkable."""

GENERIC = {
    "a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "with", "by", "is", "are",
    "be", "been", "has", "have", "its", "it", "their", "each", "every", "all", "done",
    "complete", "completed", "in-place", "place", "established", "implemented", "defined",
    "set", "up", "agreed", "framework", "process", "processes",
}  # fmt: skip
"""Words that add nothing to a clause's own words when a title restates it."""

DONE_WHEN = re.compile(r"\bdone when\b[,:]?\s+(\S+(?:\s+\S+){5,})", re.IGNORECASE)
"""A help says when the item is done: "Done when" and at least six words."""


def _words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[a-z0-9/-]+", text.lower()):
        for suffix in ("ing", "ed", "s"):
            if len(word) > 4 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        words.add(word)
    return words - GENERIC


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _label(framework: Framework, key: str) -> str:
    return f"{framework.id}:{key}"


def duplicate_titles(framework: Framework) -> list[str]:
    """Two items of one framework with the same title."""
    counts = Counter(_normal(item.title) for _, item in framework.iter_items())
    return [f"{framework.id}: title used twice: {t!r}" for t, n in counts.items() if n > 1]


def duplicate_help(framework: Framework) -> list[str]:
    """Two items of one framework with the same help."""
    counts = Counter(_normal(item.help) for _, item in framework.iter_items())
    return [f"{framework.id}: help used twice: {h[:60]!r}" for h, n in counts.items() if n > 1]


def vague_help(framework: Framework) -> list[str]:
    """An item whose help does not say, concretely, when it is done."""
    return [
        _label(framework, f"{phase.id}/{item.id}") + ": help has no 'Done when ...' sentence"
        for phase, item in framework.iter_items()
        if not DONE_WHEN.search(item.help)
    ]


def _restates(item: Item) -> str | None:
    for sentence in SEED_SENTENCES:
        if _normal(sentence) in _normal(item.title) or _normal(sentence) in _normal(item.help):
            return f"copies the seed: {sentence!r}"
    title = _normal(item.title)
    for phrase in FILLER:
        if phrase in title:
            return f"title is the seed's filler phrase {phrase!r}"
    clause_words = (
        set().union(*(_words(name) for name in item.satisfies)) if item.satisfies else set()
    )
    if _words(item.title) <= clause_words:
        return f"title only restates its clause {item.satisfies}"
    return None


def restated_clauses(framework: Framework) -> list[str]:
    """An item that restates the seed instead of saying what to do."""
    problems = []
    for phase, item in framework.iter_items():
        why = _restates(item)
        if why:
            problems.append(_label(framework, f"{phase.id}/{item.id}") + ": " + why)
    return problems


def final_gate_without_operations(framework: Framework) -> list[str]:
    """The last phase's gate must need an operations sign-off, and the phase must apply."""
    last = framework.phases[-1]
    problems = []
    if "operations" not in last.gate.approvals:
        problems.append(f"{framework.id}: last gate ({last.id}) lacks an operations sign-off")
    if last.when is not None:
        problems.append(f"{framework.id}: last phase ({last.id}) is conditional")
    return problems


def ungrouped_phases(framework: Framework) -> list[str]:
    """Every phase belongs to one of the seed's bold groups."""
    return [
        f"{framework.id}:{phase.id}: group {phase.group!r} is not one of the seed's groups"
        for phase in framework.phases
        if phase.group not in SEED_GROUPS
    ]


RULES: list[Callable[[Framework], list[str]]] = [
    duplicate_titles,
    duplicate_help,
    vague_help,
    restated_clauses,
    final_gate_without_operations,
    ungrouped_phases,
]

BUILTINS = load_catalog().frameworks()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("framework", BUILTINS, ids=lambda framework: framework.id)
def test_builtin_passes_the_lint(
    framework: Framework, rule: Callable[[Framework], list[str]]
) -> None:
    assert rule(framework) == []


def test_every_seed_group_is_a_group_of_phases() -> None:
    used = {phase.group for framework in BUILTINS for phase in framework.phases}
    assert [group for group in SEED_GROUPS if group not in used] == []


def test_qa_is_in_the_operations_integration_audience() -> None:
    framework = next(f for f in BUILTINS if f.id == "operations-integration")
    assert "qa" in framework.audience


# --- the rules catch what they are for ----------------------------------------------------


def _framework(**changes: object) -> Framework:
    release = next(f for f in BUILTINS if f.id == "release-management")
    return release.model_copy(update=changes)


def _with_item(item: Item, index: int, **changes: object) -> Framework:
    release = _framework()
    phase = release.phases[0]
    items = list(phase.items)
    items[index] = item.model_copy(update=changes)
    phases = [phase.model_copy(update={"items": items}), *release.phases[1:]]
    return release.model_copy(update={"phases": phases})


def test_the_lint_catches_a_duplicate_title() -> None:
    release = _framework()
    first, second = release.phases[0].items[:2]
    assert duplicate_titles(_with_item(second, 1, title=first.title))


def test_the_lint_catches_duplicate_help() -> None:
    release = _framework()
    first, second = release.phases[0].items[:2]
    assert duplicate_help(_with_item(second, 1, help=first.help))


def test_the_lint_catches_help_without_done_when() -> None:
    first = _framework().phases[0].items[0]
    assert vague_help(_with_item(first, 0, help="Link the record of the agreement."))


def test_the_lint_catches_a_title_copying_the_seed() -> None:
    first = _framework().phases[0].items[0]
    copied = (
        "Release planning coordination with stakeholder alignment, timeline coordination, "
        "and success planning"
    )
    assert restated_clauses(_with_item(first, 0, title=copied))


def test_the_lint_catches_a_title_restating_its_clause() -> None:
    first = _framework().phases[0].items[0]
    assert restated_clauses(_with_item(first, 0, title="Stakeholder alignment is done"))


def test_the_lint_catches_a_filler_title() -> None:
    first = _framework().phases[0].items[0]
    assert restated_clauses(_with_item(first, 0, title="Release success tracking is in place"))


def test_the_lint_catches_a_final_gate_without_operations() -> None:
    release = _framework()
    last = release.phases[-1]
    phases = [
        *release.phases[:-1],
        last.model_copy(update={"gate": last.gate.model_copy(update={"approvals": ["qa"]})}),
    ]
    assert final_gate_without_operations(release.model_copy(update={"phases": phases}))
