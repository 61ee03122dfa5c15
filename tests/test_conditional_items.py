"""Conditional items: labels and repository facts decide which items and phases apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import CliCaller
from opsctl.definitions.loader import load_framework
from opsctl.definitions.model import definition_digest
from opsctl.engine.history import verify

FRAMEWORK: dict[str, Any] = {
    "id": "cond",
    "title": "Conditional release",
    "area": "Testing",
    "summary": "Items and a phase that apply only to some runs.",
    "labels": [
        {"id": "data-migration", "help": "The release changes stored data."},
        {"id": "customer-facing", "help": "Customers see the change."},
        {"id": "internal-only", "help": "Only staff use what changes."},
    ],
    "phases": [
        {
            "id": "plan",
            "title": "Plan",
            "group": "Planning",
            "items": [
                {"id": "scope", "title": "Scope agreed", "help": "Agree it.", "owner": "qa"},
                {
                    "id": "migration-plan",
                    "title": "Migration plan written",
                    "help": "Write it.",
                    "owner": "qa",
                    "when": {"labels": ["data-migration"]},
                },
                {
                    "id": "api-reviewed",
                    "title": "API change reviewed",
                    "help": "Review it.",
                    "owner": "qa",
                    "when": {"paths": ["api/*.yaml"]},
                },
                {
                    "id": "notice-sent",
                    "title": "Customers told",
                    "help": "Tell them.",
                    "owner": "qa",
                    "when": {"any_labels": ["customer-facing"], "not_labels": ["internal-only"]},
                },
            ],
        },
        {
            "id": "migrate",
            "title": "Migrate",
            "group": "Delivery",
            "when": {"labels": ["data-migration"]},
            "items": [
                {"id": "verified", "title": "Migration verified", "help": "Check.", "owner": "qa"}
            ],
            "gate": {"approvals": ["operations"]},
        },
        {
            "id": "ship",
            "title": "Ship",
            "group": "Delivery",
            "items": [{"id": "deploy", "title": "Deployed", "help": "Ship.", "owner": "qa"}],
        },
    ],
}


@pytest.fixture
def run(isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    caller = CliCaller(isolated, capsys, monkeypatch)
    caller.ok("init")
    (isolated / ".opsctl" / "frameworks" / "cond.yaml").write_text(yaml.safe_dump(FRAMEWORK))
    return caller


def _status(run: CliCaller, run_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run.ok("status", run_id, "--format", "json"))
    return document


def _applicable(run: CliCaller, run_id: str) -> dict[str, bool]:
    return {
        item["key"]: item["applicable"]
        for phase in _status(run, run_id)["phases"]
        for item in phase["items"]
    }


def test_without_the_label_the_migration_items_do_not_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    applicable = _applicable(run, "plain")
    assert applicable["plan/migration-plan"] is False
    assert applicable["migrate/verified"] is False
    assert applicable["plan/scope"] is True


def test_with_the_label_the_migration_items_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Mig", "--id", "mig", "--label", "data-migration")
    applicable = _applicable(run, "mig")
    assert applicable["plan/migration-plan"] is True
    assert applicable["migrate/verified"] is True


def test_progress_counts_only_items_that_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    assert _status(run, "plain")["run"]["progress"] == {"complete": 0, "total": 2}


def test_a_run_without_the_label_passes_check_without_the_migration_items(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    run.ok("done", "plain", "plan/scope")
    run.ok("advance", "plain")
    run.ok("done", "plain", "ship/deploy")
    code, out, _ = run("check", "plain", "--phase", "all")
    assert code == 0, out


def test_a_run_with_the_label_fails_check_naming_the_migration_item(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Mig", "--id", "mig", "--label", "data-migration")
    run.ok("done", "mig", "plan/scope")
    code, out, _ = run("check", "mig", "--phase", "all")
    assert code == 1
    assert "plan/migration-plan" in out


def test_check_json_says_not_applicable_with_the_condition(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    _, out, _ = run("check", "plain", "--phase", "all", "--format", "json")
    items = {i["key"]: i for p in json.loads(out)["runs"][0]["phases"] for i in p["items"]}
    assert items["plan/migration-plan"]["result"] == "not-required"
    assert items["plan/migration-plan"]["message"] == (
        "not applicable (applies when label data-migration)"
    )


def test_advance_skips_a_phase_that_does_not_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    run.ok("done", "plain", "plan/scope")
    run.ok("advance", "plain")
    assert _status(run, "plain")["run"]["phase"] == "ship"


def test_a_phase_that_applies_keeps_its_sign_off(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Mig", "--id", "mig", "--label", "data-migration")
    run.ok("done", "mig", "plan/scope")
    run.ok("done", "mig", "plan/migration-plan")
    run.ok("advance", "mig")
    run.ok("done", "mig", "migrate/verified")
    code, _, err = run("advance", "mig")
    assert code == 1
    assert "sign-off by operations" in err


def test_status_shows_not_applicable_and_the_groups(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    out = run.ok("status", "plain", "--all")
    assert "not applicable" in out
    assert "applies when label data-migration" in out
    assert "Planning" in out and "Delivery" in out


def test_status_json_names_the_group_and_applicability_of_phases(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    phases = {p["id"]: p for p in _status(run, "plain")["phases"]}
    assert (phases["migrate"]["group"], phases["migrate"]["applicable"]) == ("Delivery", False)
    assert phases["migrate"]["signoffs"] == []


def test_unknown_label_at_start_is_a_usage_error(run: CliCaller) -> None:
    code, _, err = run("start", "cond", "--title", "X", "--label", "nope")
    assert code == 2
    assert "--label: unknown label 'nope'" in err


def test_label_adds_and_the_items_then_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    result = json.loads(run.ok("label", "plain", "--add", "data-migration", "--format", "json"))
    assert result["now_apply"] == ["plan/migration-plan", "migrate/verified"]
    assert _applicable(run, "plain")["plan/migration-plan"] is True


def test_label_remove_and_the_items_no_longer_apply(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Mig", "--id", "mig", "--label", "data-migration")
    out = run.ok("label", "mig", "--remove", "data-migration")
    assert "no longer apply: plan/migration-plan, migrate/verified" in out


def test_not_labels_exclude(run: CliCaller) -> None:
    run.ok("start", "cond", "-t", "C", "--id", "c", "-l", "customer-facing", "-l", "internal-only")
    assert _applicable(run, "c")["plan/notice-sent"] is False


def test_any_labels_include(run: CliCaller) -> None:
    run.ok("start", "cond", "-t", "C", "--id", "c", "-l", "customer-facing")
    assert _applicable(run, "c")["plan/notice-sent"] is True


def test_label_is_recorded_in_the_history_and_replays(run: CliCaller, isolated: Path) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    run.ok("label", "plain", "--add", "data-migration", "--add", "customer-facing")
    run.ok("label", "plain", "--remove", "customer-facing")
    log = json.loads(run.ok("log", "plain", "--format", "json"))
    assert [e["action"] for e in log["events"]] == ["start", "label", "label"]
    from opsctl.store.documents import RunDocument

    document = RunDocument.model_validate_json(
        (isolated / ".opsctl" / "runs" / "plain.json").read_text()
    )
    assert (document.labels, verify(document)) == (["data-migration"], None)


def test_a_label_that_changes_nothing_records_nothing(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Mig", "--id", "mig", "--label", "data-migration")
    out = run.ok("label", "mig", "--add", "data-migration")
    assert "labels unchanged" in out


def test_label_refuses_an_undeclared_label(run: CliCaller) -> None:
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    code, _, err = run("label", "plain", "--add", "typo")
    assert code == 2
    assert "unknown label 'typo'" in err


def test_a_path_fact_found_at_start_makes_its_item_apply(run: CliCaller, isolated: Path) -> None:
    (isolated / "api").mkdir()
    (isolated / "api" / "orders.yaml").write_text("openapi: 3.1.0\n")
    run.ok("start", "cond", "--title", "Api", "--id", "api")
    assert _applicable(run, "api")["plan/api-reviewed"] is True


def test_path_facts_are_recorded_not_read_again(run: CliCaller, isolated: Path) -> None:
    run.ok("start", "cond", "--title", "Api", "--id", "api")
    (isolated / "api").mkdir()
    (isolated / "api" / "orders.yaml").write_text("openapi: 3.1.0\n")
    assert _applicable(run, "api")["plan/api-reviewed"] is False


def test_label_looks_at_path_facts_again(run: CliCaller, isolated: Path) -> None:
    run.ok("start", "cond", "--title", "Api", "--id", "api")
    (isolated / "api").mkdir()
    (isolated / "api" / "orders.yaml").write_text("openapi: 3.1.0\n")
    result = json.loads(run.ok("label", "api", "--format", "json"))
    assert (result["facts"], result["now_apply"]) == (["api/*.yaml"], ["plan/api-reviewed"])


def test_upgrade_looks_at_path_facts_again(run: CliCaller, isolated: Path) -> None:
    run.ok("start", "cond", "--title", "Api", "--id", "api")
    (isolated / "api").mkdir()
    (isolated / "api" / "orders.yaml").write_text("openapi: 3.1.0\n")
    edited = {**FRAMEWORK, "summary": "Edited."}
    (isolated / ".opsctl" / "frameworks" / "cond.yaml").write_text(yaml.safe_dump(edited))
    run.ok("upgrade", "api")
    assert _applicable(run, "api")["plan/api-reviewed"] is True


def test_items_that_newly_apply_void_the_phase_sign_offs(run: CliCaller, isolated: Path) -> None:
    signed = {**FRAMEWORK, "phases": [dict(FRAMEWORK["phases"][0]), *FRAMEWORK["phases"][1:]]}
    signed["phases"][0]["gate"] = {"approvals": ["operations"]}
    (isolated / ".opsctl" / "frameworks" / "cond.yaml").write_text(yaml.safe_dump(signed))
    run.ok("team", "add", "ops@example.com", "--role", "operations")
    run.ok("start", "cond", "--title", "Plain", "--id", "plain")
    run.ok("done", "plain", "plan/scope")
    run.ok("approve", "plain", user="ops@example.com")
    out = run.ok("label", "plain", "--add", "data-migration")
    assert "sign-off of phase 'plan' by ops@example.com (operations) voided" in out


def test_frameworks_list_counts_conditional_items(run: CliCaller) -> None:
    listing = json.loads(run.ok("frameworks", "list", "--format", "json"))
    row = next(f for f in listing["frameworks"] if f["id"] == "cond")
    assert (row["conditional"], row["checks"], row["labels"][0]) == (4, 0, "data-migration")


def test_frameworks_show_names_labels_conditions_and_groups(run: CliCaller) -> None:
    out = run.ok("frameworks", "show", "cond")
    for text in ("data-migration: The release changes stored data.", "when label data-migration"):
        assert text in out
    assert "Planning" in out


def _problems(tmp: Path, data: dict[str, Any], run: CliCaller) -> str:
    path = tmp / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = run("validate", str(path))
    assert code == 2
    return err


def test_validate_refuses_a_condition_on_an_undeclared_label(
    run: CliCaller, isolated: Path
) -> None:
    data = {**FRAMEWORK, "labels": FRAMEWORK["labels"][1:]}
    err = _problems(isolated, data, run)
    assert "phases[0].items[1].when.labels[0]: unknown label 'data-migration'" in err


def test_validate_refuses_an_empty_condition(run: CliCaller, isolated: Path) -> None:
    data = json.loads(json.dumps(FRAMEWORK))
    data["phases"][2]["when"] = {}
    err = _problems(isolated, data, run)
    assert "phases[2].when: give at least one of labels" in err


def test_validate_refuses_a_condition_on_the_first_phase(run: CliCaller, isolated: Path) -> None:
    data = json.loads(json.dumps(FRAMEWORK))
    data["phases"][0]["when"] = {"labels": ["data-migration"]}
    err = _problems(isolated, data, run)
    assert "phases[0].when: the first phase always applies" in err


@pytest.mark.parametrize("path", ["../secrets", "/etc/passwd", "a,b"])
def test_validate_refuses_a_path_outside_the_repository(
    run: CliCaller, isolated: Path, path: str
) -> None:
    data = json.loads(json.dumps(FRAMEWORK))
    data["phases"][0]["items"][2]["when"] = {"paths": [path]}
    err = _problems(isolated, data, run)
    assert "phases[0].items[2].when.paths[0]" in err


def test_validate_refuses_a_label_declared_twice(run: CliCaller, isolated: Path) -> None:
    data = {**FRAMEWORK, "labels": [*FRAMEWORK["labels"], FRAMEWORK["labels"][0]]}
    err = _problems(isolated, data, run)
    assert "labels[3].id: duplicate label id 'data-migration'" in err


def test_a_definition_without_conditions_keeps_its_digest() -> None:
    """Labels, groups and conditions left unused do not move a pinned run's digest."""
    minimal = load_framework(Path(__file__).parent / "fixtures" / "valid" / "minimal.yaml")
    assert definition_digest(minimal) == (
        "sha256:810c6b022ae91f9adb6730abb93a73154ae68fe77d0154ebabc826b371e1eaa7"
    )


# --- the built-in release: a data migration asks for the migration items --------------------

MIGRATION_ITEMS = {"coordination/migration-plan", "coordination/backup-restored"}


def _evidence(root: Path, item: dict[str, Any]) -> list[str]:
    kind = item["evidence_kind"]
    if kind == "link":
        return ["--evidence", f"https://wiki.example.com/{item['key']}"]
    if kind == "file":
        path = root / "evidence" / f"{item['id']}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text("evidence\n", encoding="utf-8")
        return ["--evidence", f"evidence/{item['id']}.md"]
    return ["--evidence", "recorded"] if kind == "text" else []


def _complete_current_phase(run: CliCaller, run_id: str, leave: set[str]) -> None:
    """Mark done every required item of the current phase that applies, except ``leave``."""
    phase = next(p for p in _status(run, run_id)["phases"] if p["current"])
    for item in phase["items"]:
        if item["applicable"] and item["required"] and item["key"] not in leave:
            run.ok("done", run_id, item["key"], *_evidence(run.root, item))


def _release_through_coordination(run: CliCaller, run_id: str, *labels: str) -> None:
    run.ok("start", "release-management", "--title", run_id, "--id", run_id, *labels)
    _complete_current_phase(run, run_id, set())
    run.ok("advance", run_id)
    _complete_current_phase(run, run_id, MIGRATION_ITEMS)


def test_a_release_without_data_migration_passes_check_without_the_migration_items(
    run: CliCaller,
) -> None:
    _release_through_coordination(run, "plain")
    code, out, _ = run("check", "plain", "--phase", "all")
    assert code == 0, out


def test_a_release_without_data_migration_does_not_ask_for_them(run: CliCaller) -> None:
    run.ok("start", "release-management", "--title", "Plain", "--id", "plain")
    applicable = _applicable(run, "plain")
    assert [key for key in sorted(MIGRATION_ITEMS) if applicable[key]] == []


def test_a_release_with_data_migration_asks_for_the_migration_items(run: CliCaller) -> None:
    _release_through_coordination(run, "mig", "--label", "data-migration")
    code, out, _ = run("check", "mig", "--phase", "all", "--format", "json")
    failed = {
        item["key"]
        for phase in json.loads(out)["runs"][0]["phases"]
        for item in phase["items"]
        if item["result"] == "failed"
    }
    assert (code, failed) == (1, MIGRATION_ITEMS)


def test_a_data_migration_release_also_asks_for_verification_at_go_live(run: CliCaller) -> None:
    run.ok("start", "release-management", "--title", "Mig", "--id", "mig", "-l", "data-migration")
    assert _applicable(run, "mig")["execution/migration-verified"] is True
