"""The three-way merge behind git's merge driver, on documents in memory and on files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from helpers import two_phase_framework
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine import history as audit
from opsctl.engine.approvals import approve
from opsctl.engine.runs import advance, gate_report, new_run, set_item
from opsctl.git.merge import (
    MERGE_ACTOR,
    Irreconcilable,
    merge_file,
    merge_metrics,
    merge_reviews,
    merge_runs,
)
from opsctl.review.readings import record_reading
from opsctl.store.documents import ItemStatus, RunDocument
from opsctl.store.files import dumps, next_head, save_model
from opsctl.store.metrics import MetricsDocument
from opsctl.store.reviews import ReportRecord, ReviewsDocument, record_report

FRAMEWORK = two_phase_framework()

PEOPLE = [Person(email="dir@example.com", roles=["product-director"])]
DONE = ItemStatus.DONE


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=dt.timezone.utc)


MERGED_AT = at(20)


@pytest.fixture
def framework() -> Framework:
    return Framework.model_validate(yaml.safe_load(FRAMEWORK))


@pytest.fixture
def base(framework: Framework) -> RunDocument:
    """A run with plan/scope done: the common ancestor of both sides."""
    run = new_run(framework, "rel-1", "Release 1", None, "pm@example.com", at(9))
    set_item(run, framework, "scope", DONE, "pm@example.com", at(10))
    return run


def sides(document: RunDocument) -> tuple[RunDocument, RunDocument]:
    return document.model_copy(deep=True), document.model_copy(deep=True)


def intact(document: RunDocument) -> RunDocument:
    finding = audit.verify(document)
    assert finding is None, str(finding)
    return document


def actions(document: RunDocument) -> list[tuple[str, str | None, str]]:
    return [(e.action, e.item or e.phase, e.actor) for e in document.history]


def test_different_items_combine(framework: Framework, base: RunDocument) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11), note="three")
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(10, 30))

    result = merge_runs(ours, theirs, MERGED_AT)
    merged = intact(result.document)
    assert result.notes == []
    assert sorted(merged.items) == ["plan/risks", "plan/scope", "ship/notes"]
    assert merged.items["plan/risks"].note == "three"
    assert merged.items["ship/notes"].by == "dev@example.com"
    assert actions(merged) == [
        ("start", None, "pm@example.com"),
        ("done", "plan/scope", "pm@example.com"),
        ("done", "ship/notes", "dev@example.com"),
        ("done", "plan/risks", "pm@example.com"),
        ("merge", None, MERGE_ACTOR),
    ]
    assert merged.history[-1].detail == {"ours": "1", "theirs": "1"}
    assert merged.history[-1].at == MERGED_AT
    assert merged.head == merged.history[-1].hash
    assert merged.phase == "plan"

    swapped = intact(merge_runs(theirs, ours, MERGED_AT).document)
    assert swapped.items == merged.items
    assert actions(swapped) == actions(merged)


def test_the_merge_event_is_never_before_the_last_change(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(12))
    merged = intact(merge_runs(ours, theirs, at(1)).document)
    assert merged.history[-1].at == at(12)


def test_the_same_item_on_both_sides_keeps_the_later_change(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11), note="ours")
    set_item(theirs, framework, "risks", DONE, "dev@example.com", at(12), note="theirs")

    for left, right in ((ours, theirs), (theirs, ours)):
        result = merge_runs(left, right, MERGED_AT)
        merged = intact(result.document)
        risks = merged.items["plan/risks"]
        assert (risks.by, risks.note) == ("dev@example.com", "theirs")
        loser = [e for e in merged.history if e.item == "plan/risks" and e.detail.get("note")]
        assert [e.detail["note"] for e in loser] == ["ours", "theirs"]
        [note] = result.notes
        assert note.startswith("rel-1: plan/risks changed on both sides; kept the later change")
        assert "(done by dev@example.com at 2026-03-02T12:00:00" in note
        assert "the other stays in the history" in note


def test_a_later_reopen_beats_an_earlier_done(framework: Framework, base: RunDocument) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "scope", DONE, "dev@example.com", at(11), note="again")
    set_item(theirs, framework, "scope", ItemStatus.OPEN, "pm@example.com", at(12))
    result = merge_runs(ours, theirs, MERGED_AT)
    merged = intact(result.document)
    assert "plan/scope" not in merged.items
    assert "(reopen by pm@example.com" in result.notes[0]


def test_approval_is_voided_when_the_other_side_reopens_after_it(
    framework: Framework, base: RunDocument
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    ours, theirs = sides(base)
    approve(ours, framework, PEOPLE, "dir@example.com", at(12), comment="go")
    assert gate_report(ours, framework.phases[0], at(12).date()).met
    set_item(theirs, framework, "scope", ItemStatus.OPEN, "pm@example.com", at(13))

    for left, right in ((ours, theirs), (theirs, ours)):
        merged = intact(merge_runs(left, right, MERGED_AT).document)
        [approval] = merged.approvals
        assert approval.voided is not None
        assert approval.voided.startswith("item 'plan/scope' changed")
        assert approval.voided.endswith("(found when merging)")
        [void] = [e for e in merged.history if e.action == "void-approval"]
        assert void.actor == MERGE_ACTOR
        assert void.detail["approver"] == "dir@example.com"
        assert void.detail["role"] == "product-director"
        assert [a for a, _, _ in actions(merged)][-4:] == [
            "approve",
            "reopen",
            "void-approval",
            "merge",
        ]
        report = gate_report(merged, framework.phases[0], at(20).date())
        assert report.approvals_missing == ["product-director"]


def test_approval_survives_a_change_to_another_phase(
    framework: Framework, base: RunDocument
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    ours, theirs = sides(base)
    approve(ours, framework, PEOPLE, "dir@example.com", at(12))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(13))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    assert merged.approvals[0].voided is None
    assert gate_report(merged, framework.phases[0], at(20).date()).met


def test_an_approval_already_voided_on_its_side_is_not_voided_twice(
    framework: Framework, base: RunDocument
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    ours, theirs = sides(base)
    approve(ours, framework, PEOPLE, "dir@example.com", at(12))
    set_item(ours, framework, "risks", ItemStatus.OPEN, "pm@example.com", at(12, 30))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(13))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    voids = [e for e in merged.history if e.action == "void-approval"]
    assert [v.actor for v in voids] == ["pm@example.com"]
    assert merged.approvals[0].voided == "item 'plan/risks' changed after approval"


def test_a_merge_keeps_the_shared_history_as_it_was(
    framework: Framework, base: RunDocument
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(base, framework, PEOPLE, "dir@example.com", at(11))
    set_item(base, framework, "scope", ItemStatus.OPEN, "pm@example.com", at(12))
    ours, theirs = sides(base)
    set_item(ours, framework, "notes", DONE, "dev@example.com", at(13))
    set_item(theirs, framework, "risks", DONE, "pm@example.com", at(14))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    assert merged.history[: len(base.history)] == base.history
    assert merged.approvals == base.approvals


def test_approval_is_voided_when_the_other_side_changed_an_item_concurrently_before_it(
    framework: Framework, base: RunDocument
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    ours, theirs = sides(base)
    set_item(theirs, framework, "risks", ItemStatus.SKIPPED, "pm@example.com", at(11), reason="-")
    approve(ours, framework, PEOPLE, "dir@example.com", at(12))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    # The approver signed off 'risks done'; the merged phase has 'risks skipped'.
    [approval] = merged.approvals
    assert approval.voided is not None
    assert not gate_report(merged, framework.phases[0], at(20).date()).met


@pytest.mark.parametrize("tick_hour", [11, 13], ids=["tick-before-advance", "tick-after-advance"])
def test_advance_on_one_side_and_a_tick_of_the_next_phase_on_the_other(
    framework: Framework, base: RunDocument, tick_hour: int
) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(base, framework, PEOPLE, "dir@example.com", at(10, 45))
    ours, theirs = sides(base)
    advance(ours, framework, "pm@example.com", at(12))
    set_item(theirs, framework, "ship/notes", DONE, "dev@example.com", at(tick_hour))

    for left, right in ((ours, theirs), (theirs, ours)):
        merged = intact(merge_runs(left, right, MERGED_AT).document)
        assert merged.phase == "ship"
        assert merged.items["ship/notes"].by == "dev@example.com"
        assert merged.approvals[0].voided is None
        assert sorted(merged.items) == ["plan/risks", "plan/scope", "ship/notes"]


def test_completion_on_one_side_is_kept(framework: Framework, base: RunDocument) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(base, framework, PEOPLE, "dir@example.com", at(10, 45))
    advance(base, framework, "pm@example.com", at(11))
    set_item(base, framework, "deploy", DONE, "ops@example.com", at(11, 30))
    ours, theirs = sides(base)
    set_item(ours, framework, "notes", DONE, "dev@example.com", at(12))
    advance(ours, framework, "pm@example.com", at(12, 30))
    set_item(theirs, framework, "deploy", DONE, "ops@example.com", at(12, 15), note="v2")
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    assert merged.phase is None
    assert merged.status.value == "completed"
    assert merged.completed == at(12, 30)
    assert merged.items["ship/deploy"].note == "v2"


def test_both_sides_advancing_the_same_phase(framework: Framework, base: RunDocument) -> None:
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(base, framework, PEOPLE, "dir@example.com", at(10, 45))
    ours, theirs = sides(base)
    advance(ours, framework, "pm@example.com", at(11))
    advance(theirs, framework, "dir@example.com", at(12))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    assert merged.phase == "ship"
    assert [e.actor for e in merged.history if e.action == "advance"] == [
        "pm@example.com",
        "dir@example.com",
    ]


def test_a_stale_advance_does_not_move_the_run_back(
    framework: Framework, base: RunDocument
) -> None:
    people = [*PEOPLE, Person(email="ops@example.com", roles=["operations"])]
    set_item(base, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(base, framework, people, "dir@example.com", at(10, 45))
    ours, theirs = sides(base)
    advance(ours, framework, "pm@example.com", at(11))
    set_item(ours, framework, "deploy", DONE, "ops@example.com", at(11, 10))
    set_item(ours, framework, "notes", DONE, "dev@example.com", at(11, 20))
    advance(ours, framework, "pm@example.com", at(11, 30))
    assert ours.status.value == "completed"
    advance(theirs, framework, "dir@example.com", at(12))
    merged = intact(merge_runs(ours, theirs, MERGED_AT).document)
    assert merged.status.value == "completed"
    assert merged.phase is None


def test_rechained_copies_of_an_event_are_not_duplicated(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11), note="same")
    set_item(ours, framework, "deploy", DONE, "ops@example.com", at(11, 30))
    # Theirs holds another change and then the very same event, chained after it
    # (as a rebase or cherry-pick leaves it): same content, different hash.
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(10, 30))
    set_item(theirs, framework, "risks", DONE, "pm@example.com", at(11), note="same")
    assert ours.history[-1].hash != theirs.history[-1].hash

    result = merge_runs(ours, theirs, MERGED_AT)
    merged = intact(result.document)
    assert result.notes == []
    assert [e.item for e in merged.history if e.item == "plan/risks"] == ["plan/risks"]
    assert len(merged.history) == len(base.history) + 3 + 1
    assert merged.history[-1].detail == {"ours": "1", "theirs": "1"}


def test_one_side_containing_the_other_is_taken_as_is(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(theirs, framework, "risks", DONE, "pm@example.com", at(11))
    for left, right in ((ours, theirs), (theirs, ours)):
        result = merge_runs(left, right, MERGED_AT)
        assert result.document == theirs
        assert result.document is not theirs
        assert result.notes == []


def test_merging_a_merge_again_changes_nothing(framework: Framework, base: RunDocument) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(12))
    merged = merge_runs(ours, theirs, MERGED_AT).document
    for side in (ours, theirs):
        assert merge_runs(merged, side, at(21)).document == merged
        assert merge_runs(side, merged, at(21)).document == merged


def test_different_runs_are_irreconcilable(framework: Framework, base: RunDocument) -> None:
    other = new_run(framework, "rel-2", "Release 2", None, "pm@example.com", at(9))
    with pytest.raises(Irreconcilable, match="different runs: 'rel-1' and 'rel-2'"):
        merge_runs(base, other, MERGED_AT)


# A side whose history does not hold is never merged: rebuilding the chain would launder it.


def _edit_event(document: RunDocument) -> RunDocument:
    """The last event's note changed by hand: its hash no longer matches."""
    document.history[-1].detail["note"] = "edited by hand"
    return document


def _edit_state(document: RunDocument) -> RunDocument:
    """An item marked done without an event for it."""
    document.items["plan/risks"] = document.items["plan/scope"].model_copy()
    return document


def _drop_event(document: RunDocument) -> RunDocument:
    """An event removed from the middle of the history."""
    del document.history[1]
    return document


@pytest.mark.parametrize(
    ("edit", "finding"),
    [
        (_edit_event, "was edited: its hash does not match"),
        (_edit_state, "item 'plan/risks' is 'done' but the history leads to 'open'"),
        (_drop_event, "an event was removed or reordered here"),
    ],
    ids=["event", "state", "removed"],
)
@pytest.mark.parametrize("broken", ["ours", "theirs"])
def test_a_side_whose_history_does_not_hold_is_irreconcilable(
    framework: Framework, base: RunDocument, edit: object, finding: str, broken: str
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "notes", DONE, "pm@example.com", at(11), note="ours")
    set_item(theirs, framework, "deploy", DONE, "ops@example.com", at(12), note="theirs")
    assert callable(edit)
    edit(ours if broken == "ours" else theirs)
    with pytest.raises(Irreconcilable) as raised:
        merge_runs(ours, theirs, MERGED_AT)
    assert raised.value.problems[0].startswith(f"{broken}: rel-1:")
    assert finding in raised.value.problems[0]


def test_a_broken_side_is_refused_even_when_the_other_adds_nothing(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    _edit_state(theirs)
    with pytest.raises(Irreconcilable, match=r"^theirs: rel-1: state does not follow"):
        merge_runs(ours, theirs, MERGED_AT)
    with pytest.raises(Irreconcilable, match=r"^ours: rel-1: state does not follow"):
        merge_runs(theirs, ours, MERGED_AT)


def test_a_base_whose_history_does_not_hold_is_irreconcilable(
    framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "notes", DONE, "pm@example.com", at(11))
    set_item(theirs, framework, "deploy", DONE, "ops@example.com", at(12))
    with pytest.raises(Irreconcilable, match=r"^base: rel-1: .*was edited"):
        merge_runs(ours, theirs, MERGED_AT, base=_edit_event(base.model_copy(deep=True)))
    assert intact(merge_runs(ours, theirs, MERGED_AT, base=base).document)


# KPI readings and the review record.


def test_metrics_readings_from_both_sides_combine_later_wins() -> None:
    base = MetricsDocument()
    record_reading(base, "lead-time", 10, "2026-01", "pm@example.com", at(9), baseline=True)
    ours = base.model_copy(deep=True)
    theirs = base.model_copy(deep=True)
    record_reading(ours, "lead-time", 8, "2026-02", "pm@example.com", at(10))
    record_reading(ours, "lead-time", 7.5, "2026-03", "pm@example.com", at(11), "ours")
    record_reading(theirs, "lead-time", 7, "2026-03", "qa@example.com", at(12), "theirs")
    record_reading(theirs, "defects", 3, "2026-03", "qa@example.com", at(12))

    merged = merge_metrics(ours, theirs).document
    lead = merged.metrics["lead-time"]
    assert lead.baseline is not None
    assert lead.baseline.value == 10
    assert {p: r.value for p, r in lead.readings.items()} == {"2026-02": 8, "2026-03": 7}
    assert lead.readings["2026-03"].note == "theirs"
    assert merged.metrics["defects"].readings["2026-03"].value == 3
    assert [(e.metric, e.value) for e in merged.history] == [
        ("lead-time", 10),
        ("lead-time", 8),
        ("lead-time", 7.5),
        ("defects", 3),
        ("lead-time", 7),
    ]
    head = ""
    for event in merged.history:
        head = next_head(head, event)
    assert merged.head == head
    assert merge_metrics(theirs, ours).document == merged


def test_reviews_keep_one_report_per_period_the_later_winning() -> None:
    def report(period: str, path: str, hour: int) -> ReportRecord:
        return ReportRecord(
            cadence="monthly", period=period, path=path, by="pm@example.com", at=at(hour)
        )

    ours, theirs = ReviewsDocument(), ReviewsDocument()
    record_report(ours, report("2026-01", "reviews/jan.md", 9))
    record_report(ours, report("2026-02", "reviews/feb-ours.md", 10))
    record_report(theirs, report("2026-02", "reviews/feb-theirs.md", 11))
    record_report(theirs, report("2026-03", "reviews/mar.md", 12))
    merged = merge_reviews(ours, theirs).document
    assert [(r.period, r.path) for r in merged.reports] == [
        ("2026-01", "reviews/jan.md"),
        ("2026-02", "reviews/feb-theirs.md"),
        ("2026-03", "reviews/mar.md"),
    ]
    assert merge_reviews(theirs, ours).document == merged


# merge_file: what git's driver hands over, as files.


def write(path: Path, content: object) -> Path:
    if isinstance(content, (RunDocument, MetricsDocument, ReviewsDocument)):
        save_model(content, path)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(dumps(content), encoding="utf-8")
    return path


def test_merge_file_merges_run_files(
    tmp_path: Path, framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(12))
    ours_path, theirs_path = write(tmp_path / "a.json", ours), write(tmp_path / "b.json", theirs)
    before = ours_path.read_bytes()
    result = merge_file(ours_path, theirs_path, MERGED_AT)
    assert ours_path.read_bytes() == before, "merge_file does not write"
    merged = intact(result.document)
    assert sorted(merged.items) == ["plan/risks", "plan/scope", "ship/notes"]


def test_merge_file_checks_both_sides_and_the_base_when_it_parses(
    tmp_path: Path, framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(ours, framework, "risks", DONE, "pm@example.com", at(11))
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(12))
    ours_path, theirs_path = write(tmp_path / "a.json", ours), write(tmp_path / "b.json", theirs)
    for unparsable in ("", "not JSON", '{"schema": 1, "kind": "metrics"}'):
        found = merge_file(
            ours_path, theirs_path, MERGED_AT, base=write(tmp_path / "o", unparsable)
        )
        assert intact(found.document).items.keys() == {"plan/scope", "plan/risks", "ship/notes"}
    broken_base = write(tmp_path / "o.json", _edit_event(base.model_copy(deep=True)))
    with pytest.raises(Irreconcilable, match=r"^base: rel-1: event #2 .*was edited"):
        merge_file(ours_path, theirs_path, MERGED_AT, base=broken_base)
    broken = write(tmp_path / "c.json", _edit_state(theirs.model_copy(deep=True)))
    with pytest.raises(Irreconcilable, match=r"^theirs: rel-1: state does not follow"):
        merge_file(ours_path, broken, MERGED_AT, base=write(tmp_path / "o2.json", base))


def test_merge_file_upgrades_a_schema_1_side(
    tmp_path: Path, framework: Framework, base: RunDocument
) -> None:
    ours, theirs = sides(base)
    set_item(theirs, framework, "notes", DONE, "dev@example.com", at(12))
    old = json.loads(ours.model_dump_json(by_alias=True, exclude_none=True))
    old["schema"] = 1
    del old["head"]
    for event in old["history"]:
        del event["prev"], event["hash"]
    result = merge_file(write(tmp_path / "a.json", old), write(tmp_path / "b.json", theirs), at(13))
    assert intact(result.document).items == theirs.items


def test_merge_file_merges_metrics_and_reviews_files(tmp_path: Path) -> None:
    ours, theirs = MetricsDocument(), MetricsDocument()
    record_reading(ours, "lead-time", 8, "2026-02", "pm@example.com", at(10))
    record_reading(theirs, "lead-time", 7, "2026-03", "qa@example.com", at(11))
    result = merge_file(
        write(tmp_path / "a.json", ours), write(tmp_path / "b.json", theirs), at(12)
    )
    assert sorted(result.document.metrics["lead-time"].readings) == ["2026-02", "2026-03"]

    empty = write(tmp_path / "c.json", ReviewsDocument())
    result = merge_file(empty, empty, at(12))
    assert result.document == ReviewsDocument()


def test_merge_file_accepts_the_same_definition_and_refuses_two(tmp_path: Path) -> None:
    definition = {"schema": 1, "kind": "definition", "digest": "sha256:1", "framework": {}}
    same = merge_file(
        write(tmp_path / "a.json", definition), write(tmp_path / "b.json", definition), at(12)
    )
    assert same.document == definition
    other = {**definition, "framework": {"id": "changed"}}
    with pytest.raises(Irreconcilable, match="two different definitions"):
        merge_file(tmp_path / "a.json", write(tmp_path / "c.json", other), at(12))


@pytest.mark.parametrize(
    ("theirs", "message"),
    [
        ("this is { not JSON", "not valid JSON"),
        ('<<<<<<< ours\n{"kind": "run"}\n=======\n{}\n>>>>>>> theirs\n', "conflict markers"),
        ("[1, 2]", "expected a JSON object"),
        ({"schema": 1, "kind": "recipe"}, "not an opsctl store document"),
        ({"schema": 1, "kind": "metrics"}, "different kinds of document"),
        ("NEWER", "written by a newer opsctl"),
        ("BROKEN", "items"),
    ],
    ids=[
        "not-json",
        "conflict-markers",
        "not-object",
        "unknown-kind",
        "other-kind",
        "newer",
        "bad",
    ],
)
def test_irreconcilable_inputs(
    tmp_path: Path, base: RunDocument, theirs: object, message: str
) -> None:
    document = json.loads(base.model_dump_json(by_alias=True, exclude_none=True))
    if theirs == "NEWER":
        theirs = {**document, "schema": 99}
    elif theirs == "BROKEN":
        theirs = {**document, "items": {"plan/scope": {"status": "finished"}}}
    ours_path = write(tmp_path / "ours.json", base)
    if isinstance(theirs, dict) and theirs.get("kind") == "recipe":
        ours_path = write(tmp_path / "ours.json", theirs)
    with pytest.raises(Irreconcilable, match=message):
        merge_file(ours_path, write(tmp_path / "theirs.json", theirs), MERGED_AT)
