"""The built-in frameworks encode the whole seed document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsctl.definitions.catalog import data_dir, framework_files, load_catalog
from opsctl.definitions.model import Framework

REPO = Path(__file__).resolve().parents[1]
SEED_CLAUSES = (REPO / "tests" / "seed_clauses.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def builtins() -> list[Framework]:
    return load_catalog().frameworks()


def test_the_seed_has_93_bold_clauses_listed_once() -> None:
    assert len(SEED_CLAUSES) == 93
    assert len(set(SEED_CLAUSES)) == 93


def test_every_seed_clause_is_implemented_by_a_phase_or_item(builtins: list[Framework]) -> None:
    implemented: set[str] = set()
    for framework in builtins:
        for phase in framework.phases:
            implemented.update(phase.satisfies)
            for item in phase.items:
                implemented.update(item.satisfies)
    missing = [clause for clause in SEED_CLAUSES if clause not in implemented]
    assert missing == []


def test_thirteen_builtin_files_one_per_sub_framework_plus_the_program() -> None:
    files = framework_files(data_dir("frameworks"))
    assert len(files) == 13
    assert "operations-program.yaml" in {path.name for path in files}


@pytest.mark.parametrize("path", framework_files(REPO / "frameworks"), ids=lambda path: path.name)
def test_each_file_starts_with_the_editor_schema_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=framework.schema.json"


def test_the_shipped_schema_is_the_one_opsctl_prints() -> None:
    document = Framework.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "opsctl framework"
    shipped = json.loads((REPO / "frameworks" / "framework.schema.json").read_text())
    assert shipped == document, "regenerate with: opsctl schema > frameworks/framework.schema.json"


def test_business_kpi_targets_match_the_seed(builtins: list[Framework]) -> None:
    targets = {m.id: m.goal.value for fw in builtins for m in fw.metrics if m.goal}
    assert targets["development-efficiency"] == 45
    assert targets["quality-assurance"] == 40
    assert targets["delivery-success"] == 35
    assert targets["operational-efficiency"] == 50


def test_operations_approval_is_required_everywhere(builtins: list[Framework]) -> None:
    for framework in builtins:
        assert framework.approval == "operations", framework.id
        gates = [role for phase in framework.phases for role in phase.gate.approvals]
        assert "operations" in gates, framework.id


def test_monthly_and_quarterly_reviews_are_declared(builtins: list[Framework]) -> None:
    for framework in builtins:
        assert {review.cadence.value for review in framework.review} == {"monthly", "quarterly"}


def test_items_are_written_as_checkable_statements_with_help(builtins: list[Framework]) -> None:
    for framework in builtins:
        for phase, item in framework.iter_items():
            assert len(item.help) >= 40, f"{framework.id}:{phase.id}/{item.id}"
            assert item.title[0].isupper(), f"{framework.id}:{phase.id}/{item.id}"
            assert item.satisfies, f"{framework.id}:{phase.id}/{item.id}"


def test_release_management_starts_with_stakeholder_alignment(builtins: list[Framework]) -> None:
    release = next(fw for fw in builtins if fw.id == "release-management")
    assert release.phases[0].id == "planning"
    assert release.phases[0].items[0].id == "stakeholders-aligned"


PRACTICES: dict[str, tuple[str, str, set[str]]] = {
    "security review": (
        "release-management",
        "coordination/security-review",
        {"security-sensitive"},
    ),
    "dependency scan": ("release-management", "coordination/dependency-scan", set()),
    "data migration plan": (
        "release-management",
        "coordination/migration-plan",
        {"data-migration"},
    ),
    "data migration verification": (
        "release-management",
        "execution/migration-verified",
        {"data-migration"},
    ),
    "load and capacity test": ("release-management", "coordination/load-tested", {"capacity-risk"}),
    "incident response": ("operations-management", "process-optimization/incident-process", set()),
    "incident drill": ("operations-management", "process-optimization/incident-drill", set()),
    "blameless postmortem": (
        "release-management",
        "success-validation/postmortem-published",
        {"emergency", "incident"},
    ),
    "handover to on-call": ("release-management", "execution/oncall-handover", set()),
    "handover to support": (
        "operations-integration",
        "customer-success-coordination/support-handover",
        set(),
    ),
    "SLOs and error-budget policy": (
        "operations-management",
        "performance-management/slos-defined",
        set(),
    ),
    "error budget before a release": (
        "release-management",
        "execution/error-budget-checked",
        set(),
    ),
    "change classification": ("release-management", "planning/change-classified", set()),
    "emergency-change path": ("release-management", "planning/emergency-approved", {"emergency"}),
    "change classes defined": (
        "process-optimization",
        "excellence-development/change-classes",
        set(),
    ),
    "feature flags removed after rollout": (
        "release-management",
        "success-validation/flags-removed",
        {"feature-flag"},
    ),
    "backward compatibility": ("release-management", "coordination/compatibility-tested", set()),
    "deprecation notice": (
        "release-management",
        "planning/deprecation-announced",
        {"breaking-change"},
    ),
    "backup and restore test": (
        "operations-management",
        "performance-management/restore-tested",
        {"critical-data"},
    ),
}
"""Real-world practice the built-ins carry: framework, item, and the labels it applies under."""


@pytest.mark.parametrize("practice", sorted(PRACTICES))
def test_each_practice_is_an_owned_item_with_evidence_tied_to_a_seed_clause(
    builtins: list[Framework], practice: str
) -> None:
    framework_id, key, labels = PRACTICES[practice]
    framework = next(fw for fw in builtins if fw.id == framework_id)
    phase_id, _, item_id = key.partition("/")
    phase = framework.phase(phase_id)
    assert phase is not None
    item = next(item for item in phase.items if item.id == item_id)
    assert item.evidence.value != "none"
    assert item.help.startswith("Done when")
    assert [
        name.partition(":")[0] for name in item.satisfies if name.partition(":")[0] in SEED_CLAUSES
    ]
    when = item.when
    named = set(when.labels) | set(when.any_labels) if when else set()
    assert named == labels


def test_every_label_a_builtin_declares_is_used_by_a_condition(builtins: list[Framework]) -> None:
    for framework in builtins:
        used = {
            label
            for phase, item in framework.iter_items()
            for when in (phase.when, item.when)
            if when is not None
            for _, label in when.label_refs()
        }
        assert {label.id for label in framework.labels} == used, framework.id


def test_go_no_go_gates_need_operations(builtins: list[Framework]) -> None:
    gates = {(fw.id, phase.id): phase.gate.approvals for fw in builtins for phase in fw.phases}
    assert "operations" in gates[("delivery-process", "deployment-strategy")]
    assert "operations" in gates[("feature-development", "launch")]
    assert "operations" in gates[("release-management", "execution")]


def test_the_docs_table_matches_the_builtins(builtins: list[Framework]) -> None:
    text = (REPO / "docs" / "frameworks.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): [cell.strip() for cell in cells[2:6]]
        for line in text.splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) == 7
    }
    for framework in builtins:
        expected = [
            str(len(framework.phases)),
            str(framework.item_count()),
            str(sum(item.check is not None for _, item in framework.iter_items())),
            str(len(framework.conditional_keys)),
        ]
        assert rows[framework.id] == expected, framework.id
