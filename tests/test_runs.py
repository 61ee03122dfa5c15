"""The run engine as a library: runs, items, gates, advancing, approvals, rebasing, views."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsctl.actions.views import status_of
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine.approvals import approve
from opsctl.engine.runs import (
    advance,
    definition_digest,
    gate_report,
    new_run,
    progress,
    resolve_item,
    set_item,
    slugify,
    validate_run_id,
)
from opsctl.engine.upgrade import rebase_run
from opsctl.errors import CheckFailed, UsageError
from opsctl.store.documents import ItemStatus, RunStatus

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)
TODAY = AT.date()
PM = "pm@example.com"
OPS = "ops@example.com"
PEOPLE = [
    Person(email=PM, roles=["product-manager"]),
    Person(email=OPS, name="Olga", roles=["operations"]),
    Person(email="ops2@example.com", roles=["operations", "qa"]),
]


def _item(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "title": f"Item {item_id}", "help": "Do it.", "owner": "qa", **extra}


def framework_data() -> dict[str, Any]:
    return {
        "id": "mini",
        "title": "Mini",
        "area": "Testing",
        "summary": "A small framework for engine tests.",
        "phases": [
            {
                "id": "plan",
                "title": "Plan",
                "items": [
                    _item("scope", evidence="link"),
                    _item("notes", evidence="text"),
                    _item("plain"),
                    _item("nice-to-have", required=False),
                    _item("shared"),
                ],
            },
            {
                "id": "ship",
                "title": "Ship",
                "items": [_item("shared"), _item("deploy", evidence="file")],
                "gate": {"approvals": ["operations"]},
            },
        ],
    }


@pytest.fixture
def framework() -> Framework:
    return Framework.model_validate(framework_data())


@pytest.fixture
def run(framework: Framework):
    return new_run(framework, "rel-1", "  Release 1 ", dt.date(2026, 4, 1), PM, AT)


def _finish_plan(run, framework: Framework) -> None:
    set_item(run, framework, "plan/scope", ItemStatus.DONE, PM, AT, evidence="https://x/1")
    set_item(run, framework, "notes", ItemStatus.DONE, PM, AT, evidence="all good")
    set_item(run, framework, "plain", ItemStatus.DONE, PM, AT)
    set_item(run, framework, "plan/shared", ItemStatus.DONE, PM, AT)


# --- new_run ---------------------------------------------------------------------------------


def test_new_run_starts_at_first_phase_with_a_start_event(run, framework: Framework) -> None:
    assert run.id == "rel-1"
    assert run.title == "Release 1"
    assert run.phase == "plan"
    assert run.status is RunStatus.ACTIVE
    assert run.items == {}
    assert run.created == AT
    assert run.created_by == PM
    assert run.framework.id == "mini"
    assert run.framework.digest == definition_digest(framework)
    assert [event.action for event in run.history] == ["start"]
    assert run.history[0].detail == {
        "framework": "mini",
        "title": "Release 1",
        "due": "2026-04-01",
        "digest": definition_digest(framework),
        "phase": "plan",
    }
    assert run.history[0].prev == ""
    assert run.history[0].hash == run.history[0].content_hash()


@pytest.mark.parametrize("bad_id", ["Rel-1", "rel_1", "rel--1", "-rel", "", "a" * 65, "../x"])
def test_new_run_refuses_bad_ids(framework: Framework, bad_id: str) -> None:
    with pytest.raises(UsageError, match="run id"):
        new_run(framework, bad_id, "Title", None, PM, AT)


def test_new_run_refuses_empty_title(framework: Framework) -> None:
    with pytest.raises(UsageError, match=r"^title: must not be empty"):
        new_run(framework, "x", "   ", None, PM, AT)


def test_slugify_and_validate() -> None:
    assert slugify("Release 2.4") == "release-2-4"
    assert slugify("  ¡¡!!  ") == "run"
    assert len(slugify("x" * 200)) == 64
    assert validate_run_id(slugify("Q3 -- Big  launch!")) == "q3-big-launch"


# --- resolve_item ---------------------------------------------------------------------------


def test_resolve_item_by_phase_and_item(framework: Framework) -> None:
    phase, item = resolve_item(framework, "ship/shared")
    assert (phase.id, item.id) == ("ship", "shared")


def test_resolve_item_by_unique_bare_id(framework: Framework) -> None:
    phase, item = resolve_item(framework, "deploy")
    assert (phase.id, item.id) == ("ship", "deploy")


def test_resolve_item_ambiguous_bare_id_lists_options(framework: Framework) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_item(framework, "shared")
    message = str(caught.value)
    assert "ambiguous" in message
    assert "plan/shared" in message
    assert "ship/shared" in message


def test_resolve_item_unknown_phase_lists_phases(framework: Framework) -> None:
    with pytest.raises(UsageError, match=r"unknown phase 'launch'.*plan, ship"):
        resolve_item(framework, "launch/scope")


def test_resolve_item_unknown_item_in_phase_lists_items(framework: Framework) -> None:
    with pytest.raises(UsageError, match=r"unknown item 'deploy' in phase 'plan'.*scope"):
        resolve_item(framework, "plan/deploy")


def test_resolve_item_unknown_bare_item(framework: Framework) -> None:
    with pytest.raises(UsageError, match=r"unknown item 'nope' in framework 'mini'"):
        resolve_item(framework, "nope")


# --- set_item -------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["plan/scope", "notes", "ship/deploy"])
def test_done_requires_evidence_when_the_item_asks(run, framework: Framework, ref: str) -> None:
    with pytest.raises(UsageError, match="evidence"):
        set_item(run, framework, ref, ItemStatus.DONE, PM, AT)
    assert run.items == {}
    assert len(run.history) == 1


def test_done_without_evidence_when_none_is_asked(run, framework: Framework) -> None:
    set_item(run, framework, "plain", ItemStatus.DONE, PM, AT, note="easy")
    state = run.items["plan/plain"]
    assert state.status is ItemStatus.DONE
    assert state.by == PM
    assert state.at == AT
    assert state.note == "easy"
    event = run.history[-1]
    assert (event.action, event.item, event.phase) == ("done", "plan/plain", "plan")
    assert event.detail == {"note": "easy"}


@pytest.mark.parametrize("evidence", ["wiki/page", "www.example.com", "https://", "http:/x"])
def test_link_evidence_must_be_a_url(run, framework: Framework, evidence: str) -> None:
    with pytest.raises(UsageError, match="needs a link"):
        set_item(run, framework, "scope", ItemStatus.DONE, PM, AT, evidence=evidence)
    assert run.items == {}


def test_link_evidence_accepts_urls(run, framework: Framework) -> None:
    set_item(run, framework, "scope", ItemStatus.DONE, PM, AT, evidence="https://wiki/rel-1")
    assert run.items["plan/scope"].evidence == "https://wiki/rel-1"


def test_text_evidence_accepts_free_text(run, framework: Framework) -> None:
    set_item(run, framework, "notes", ItemStatus.DONE, PM, AT, evidence="not a url at all")
    assert run.items["plan/notes"].evidence == "not a url at all"


@pytest.mark.parametrize("status", [ItemStatus.SKIPPED, ItemStatus.BLOCKED])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_skip_and_block_need_a_reason(
    run, framework: Framework, status: ItemStatus, reason: str | None
) -> None:
    with pytest.raises(UsageError, match=r"^reason: .* needs a reason"):
        set_item(run, framework, "plain", status, PM, AT, reason=reason)
    assert run.items == {}


def test_skip_records_reason_and_expiry(run, framework: Framework) -> None:
    expires = dt.date(2026, 5, 1)
    set_item(run, framework, "plain", ItemStatus.SKIPPED, PM, AT, reason="n/a", expires=expires)
    state = run.items["plan/plain"]
    assert (state.status, state.reason, state.expires) == (ItemStatus.SKIPPED, "n/a", expires)
    assert run.history[-1].detail == {"reason": "n/a", "expires": "2026-05-01"}


@pytest.mark.parametrize("status", [ItemStatus.DONE, ItemStatus.BLOCKED, ItemStatus.OPEN])
def test_expires_only_for_skip(run, framework: Framework, status: ItemStatus) -> None:
    if status is ItemStatus.OPEN:
        set_item(run, framework, "plain", ItemStatus.DONE, PM, AT)
    before = run.model_copy(deep=True)
    with pytest.raises(UsageError, match=r"^expires: applies only to skip"):
        set_item(run, framework, "plain", status, PM, AT, reason="r", expires=dt.date(2026, 5, 1))
    assert run == before


def test_reopen_of_an_open_item_errors(run, framework: Framework) -> None:
    with pytest.raises(UsageError, match="already open"):
        set_item(run, framework, "plain", ItemStatus.OPEN, PM, AT)
    assert len(run.history) == 1


def test_reopen_removes_state_and_records_previous(run, framework: Framework) -> None:
    set_item(run, framework, "plain", ItemStatus.BLOCKED, PM, AT, reason="waiting")
    set_item(run, framework, "plain", ItemStatus.OPEN, PM, AT)
    assert "plan/plain" not in run.items
    assert run.history[-1].action == "reopen"
    assert run.history[-1].detail == {"was": "blocked"}


def test_completed_run_refuses_changes(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    advance(run, framework, PM, AT)
    set_item(run, framework, "ship/shared", ItemStatus.DONE, PM, AT)
    set_item(run, framework, "deploy", ItemStatus.DONE, PM, AT, evidence="runbook.md")
    approve(run, framework, PEOPLE, OPS, AT)
    advance(run, framework, PM, AT)
    assert run.status is RunStatus.COMPLETED
    snapshot = run.model_copy(deep=True)
    with pytest.raises(UsageError, match="completed"):
        set_item(run, framework, "ship/shared", ItemStatus.OPEN, PM, AT)
    with pytest.raises(UsageError, match="completed"):
        advance(run, framework, PM, AT)
    with pytest.raises(UsageError, match="completed"):
        approve(run, framework, PEOPLE, OPS, AT)
    assert run == snapshot


# --- gate_report ----------------------------------------------------------------------------


def _plan(framework: Framework):
    phase = framework.phase("plan")
    assert phase is not None
    return phase


def test_gate_lists_required_open_items_only(run, framework: Framework) -> None:
    report = gate_report(run, _plan(framework), TODAY)
    assert not report.met
    assert [m.item.id for m in report.missing] == ["scope", "notes", "plain", "shared"]
    assert {m.status for m in report.missing} == {ItemStatus.OPEN}
    assert {m.why for m in report.missing} == {"open"}
    assert report.approvals_missing == []


def test_optional_items_do_not_count(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    report = gate_report(run, _plan(framework), TODAY)
    assert report.met
    assert "plan/nice-to-have" not in run.items


def test_waiver_counts_until_it_expires(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    set_item(run, framework, "plain", ItemStatus.SKIPPED, PM, AT, reason="n/a", expires=TODAY)
    assert gate_report(run, _plan(framework), TODAY).met  # expires today: still valid
    later = gate_report(run, _plan(framework), TODAY + dt.timedelta(days=1))
    assert not later.met
    [missing] = later.missing
    assert missing.item.id == "plain"
    assert missing.status is ItemStatus.SKIPPED
    assert missing.why == f"waiver expired on {TODAY.isoformat()}"


def test_a_waiver_cannot_expire_in_the_past(run, framework: Framework) -> None:
    before = run.model_copy(deep=True)
    with pytest.raises(UsageError, match=r"^expires: 2020-01-01 is in the past"):
        set_item(
            run,
            framework,
            "plain",
            ItemStatus.SKIPPED,
            PM,
            AT,
            reason="n/a",
            expires=dt.date(2020, 1, 1),
        )
    assert run == before


def test_waiver_without_expiry_counts(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    set_item(run, framework, "plain", ItemStatus.SKIPPED, PM, AT, reason="n/a")
    assert gate_report(run, _plan(framework), TODAY + dt.timedelta(days=9999)).met


def test_blocked_item_keeps_the_gate_shut(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    set_item(run, framework, "plain", ItemStatus.BLOCKED, PM, AT, reason="staging down")
    report = gate_report(run, _plan(framework), TODAY)
    assert not report.met
    [missing] = report.missing
    assert missing.status is ItemStatus.BLOCKED
    assert missing.why == "blocked: staging down"


def test_progress_counts_required_items(run, framework: Framework) -> None:
    assert progress(run, framework, TODAY) == (0, 6)
    _finish_plan(run, framework)
    set_item(run, framework, "nice-to-have", ItemStatus.DONE, PM, AT)
    assert progress(run, framework, TODAY) == (4, 6)


# --- advance --------------------------------------------------------------------------------


def test_advance_refuses_listing_what_is_missing(run, framework: Framework) -> None:
    set_item(run, framework, "plain", ItemStatus.DONE, PM, AT)
    snapshot = run.model_copy(deep=True)
    with pytest.raises(CheckFailed) as caught:
        advance(run, framework, PM, AT)
    message = str(caught.value)
    for key in ("plan/scope", "plan/notes", "plan/shared"):
        assert key in message
    assert "plan/plain" not in message
    assert "plan/nice-to-have" not in message
    assert caught.value.exit_code == 1
    assert run.phase == snapshot.phase
    assert run.items == snapshot.items
    assert run.history[:-1] == snapshot.history
    assert run.history[-1].action == "advance-refused"


def test_advance_moves_to_the_next_phase(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    following = advance(run, framework, PM, AT)
    assert following is not None
    assert following.id == "ship"
    assert run.phase == "ship"
    assert run.status is RunStatus.ACTIVE
    event = run.history[-1]
    assert (event.action, event.detail) == ("advance", {"from": "plan", "to": "ship"})


def test_advance_on_the_last_phase_completes_the_run(run, framework: Framework) -> None:
    _finish_plan(run, framework)
    advance(run, framework, PM, AT)
    set_item(run, framework, "ship/shared", ItemStatus.DONE, PM, AT)
    set_item(run, framework, "deploy", ItemStatus.DONE, PM, AT, evidence="runbook.md")
    with pytest.raises(CheckFailed, match="sign-off by operations"):
        advance(run, framework, PM, AT)
    approve(run, framework, PEOPLE, OPS, AT)
    assert advance(run, framework, PM, AT) is None
    assert run.status is RunStatus.COMPLETED
    assert run.phase is None
    assert run.completed == AT
    assert [e.action for e in run.history[-2:]] == ["advance", "complete"]
    assert run.history[-2].detail["to"] == "completed"


# --- approvals ------------------------------------------------------------------------------


@pytest.fixture
def at_ship(run, framework: Framework):
    _finish_plan(run, framework)
    advance(run, framework, PM, AT)
    set_item(run, framework, "ship/shared", ItemStatus.DONE, PM, AT)
    set_item(run, framework, "deploy", ItemStatus.DONE, PM, AT, evidence="runbook.md")
    return run


def test_approve_refused_without_the_role_names_holders(at_ship, framework: Framework) -> None:
    snapshot = at_ship.model_copy(deep=True)
    with pytest.raises(CheckFailed) as caught:
        approve(at_ship, framework, PEOPLE, PM, AT)
    message = str(caught.value)
    assert PM in message
    assert "operations" in message
    assert OPS in message
    assert "ops2@example.com" in message
    assert at_ship == snapshot


def test_approve_with_nobody_in_the_role(at_ship, framework: Framework) -> None:
    with pytest.raises(CheckFailed, match="nobody yet"):
        approve(at_ship, framework, [], OPS, AT)


def test_approve_granted_for_a_holder(at_ship, framework: Framework) -> None:
    [approval] = approve(at_ship, framework, PEOPLE, "OPS@Example.com", AT, comment="ship it")
    assert (approval.phase, approval.role, approval.by) == ("ship", "operations", "OPS@Example.com")
    assert approval.comment == "ship it"
    assert approval.digest.startswith("sha256:")
    assert approval.voided is None
    assert at_ship.approvals == [approval]
    event = at_ship.history[-1]
    assert event.action == "approve"
    assert event.detail["role"] == "operations"
    assert event.detail["comment"] == "ship it"
    assert gate_report(at_ship, framework.phases[1], TODAY).met


def test_approving_twice_is_a_usage_error(at_ship, framework: Framework) -> None:
    approve(at_ship, framework, PEOPLE, OPS, AT)
    with pytest.raises(UsageError, match="already approved"):
        approve(at_ship, framework, PEOPLE, "ops2@example.com", AT)
    assert len(at_ship.approvals) == 1


def test_approving_a_non_current_phase_is_a_usage_error(run, framework: Framework) -> None:
    with pytest.raises(UsageError, match="is not reached yet"):
        approve(run, framework, PEOPLE, OPS, AT, phase_id="ship")
    with pytest.raises(UsageError, match="unknown phase"):
        approve(run, framework, PEOPLE, OPS, AT, phase_id="nope")


def test_approving_a_phase_without_sign_off_is_a_usage_error(run, framework: Framework) -> None:
    with pytest.raises(UsageError, match="needs no sign-off"):
        approve(run, framework, PEOPLE, OPS, AT)


def test_approving_in_a_role_the_phase_does_not_need(at_ship, framework: Framework) -> None:
    with pytest.raises(UsageError, match="not qa"):
        approve(at_ship, framework, PEOPLE, "ops2@example.com", AT, role="qa")


def test_reopening_an_item_voids_the_approval(at_ship, framework: Framework) -> None:
    ship = framework.phases[1]
    approve(at_ship, framework, PEOPLE, OPS, AT)
    assert gate_report(at_ship, ship, TODAY).met
    set_item(at_ship, framework, "deploy", ItemStatus.OPEN, PM, AT)
    [approval] = at_ship.approvals
    assert approval.voided is not None
    assert "ship/deploy" in approval.voided
    assert at_ship.history[-1].action == "void-approval"
    set_item(at_ship, framework, "deploy", ItemStatus.DONE, PM, AT, evidence="runbook-v2.md")
    report = gate_report(at_ship, ship, TODAY)
    assert report.missing == []
    assert report.approvals_missing == ["operations"]
    with pytest.raises(CheckFailed, match="sign-off by operations"):
        advance(at_ship, framework, PM, AT)
    approve(at_ship, framework, PEOPLE, OPS, AT)
    assert advance(at_ship, framework, PM, AT) is None


def test_changing_another_phase_keeps_the_approval(at_ship, framework: Framework) -> None:
    approve(at_ship, framework, PEOPLE, OPS, AT)
    set_item(at_ship, framework, "nice-to-have", ItemStatus.DONE, PM, AT)
    assert at_ship.approvals[0].voided is None


# --- rebase ---------------------------------------------------------------------------------


def test_rebase_keeps_states_and_reports_added_and_removed(run, framework: Framework) -> None:
    set_item(run, framework, "plain", ItemStatus.DONE, PM, AT)
    set_item(run, framework, "scope", ItemStatus.DONE, PM, AT, evidence="https://x")
    data = framework_data()
    plan_items = data["phases"][0]["items"]
    data["phases"][0]["items"] = [i for i in plan_items if i["id"] != "scope"] + [_item("fresh")]
    data["phases"][1]["items"].append(_item("verify"))
    new = Framework.model_validate(data)
    result = rebase_run(run, framework, new, PM, AT)
    assert result.added == ["plan/fresh", "ship/verify"]
    assert result.removed == ["plan/scope"]
    assert set(run.items) == {"plan/plain"}
    assert run.items["plan/plain"].status is ItemStatus.DONE
    assert run.framework.digest == definition_digest(new) != definition_digest(framework)
    assert (result.phase_before, result.phase_after) == ("plan", "plan")
    event = run.history[-1]
    assert event.action == "upgrade"
    assert event.detail["added"] == "plan/fresh, ship/verify"
    assert event.detail["removed"] == "plan/scope"


def test_rebase_moves_a_run_whose_phase_disappeared(run, framework: Framework) -> None:
    data = framework_data()
    data["phases"][0]["id"] = "prepare"
    new = Framework.model_validate(data)
    result = rebase_run(run, framework, new, PM, AT)
    assert (result.phase_before, result.phase_after) == ("plan", "prepare")
    assert run.phase == "prepare"
    assert run.items == {}


# --- views ----------------------------------------------------------------------------------


def test_run_status_shape(run, framework: Framework) -> None:
    set_item(run, framework, "scope", ItemStatus.DONE, PM, AT, evidence="https://x")
    view = status_of(run, framework, TODAY, definition_digest(framework)).envelope()
    assert set(view) >= {"run", "phases", "definition"}
    assert view["run"]["id"] == "rel-1"
    assert view["run"]["phase"] == "plan"
    assert view["run"]["progress"] == {"complete": 1, "total": 6}
    assert view["definition"] == {
        "digest": run.framework.digest,
        "current_digest": run.framework.digest,
        "changed": False,
    }
    assert [p["id"] for p in view["phases"]] == ["plan", "ship"]
    plan = view["phases"][0]
    assert plan["current"] is True
    assert view["phases"][1]["current"] is False
    assert plan["gate"]["met"] is False
    assert [m["item"] for m in plan["gate"]["missing"]] == [
        "plan/notes",
        "plan/plain",
        "plan/shared",
    ]
    scope = plan["items"][0]
    assert scope["key"] == "plan/scope"
    assert scope["status"] == "done"
    assert scope["evidence"] == "https://x"
    assert scope["evidence_kind"] == "link"
    assert plan["items"][1]["status"] == "open"
    assert view["phases"][1]["gate"]["approvals_required"] == ["operations"]


def test_run_status_notices_a_changed_definition(run, framework: Framework) -> None:
    view = status_of(run, framework, TODAY, "sha256:other").envelope()
    assert view["definition"]["changed"] is True
    gone = status_of(run, framework, TODAY, None).envelope()
    assert gone["definition"]["changed"] is True


def test_a_voided_sign_off_of_a_passed_phase_can_be_given_again() -> None:
    data = framework_data()
    data["phases"][0]["gate"] = {"approvals": ["operations"]}
    framework = Framework.model_validate(data)
    run = new_run(framework, "r", "R", None, PM, AT)
    _finish_plan(run, framework)
    approve(run, framework, PEOPLE, OPS, AT)
    advance(run, framework, PM, AT)
    set_item(run, framework, "plan/plain", ItemStatus.OPEN, PM, AT)
    set_item(run, framework, "plan/plain", ItemStatus.DONE, PM, AT)
    assert gate_report(run, framework.phases[0], TODAY).approvals_missing == ["operations"]
    approve(run, framework, PEOPLE, OPS, AT, phase_id="plan")
    assert gate_report(run, framework.phases[0], TODAY).met
    before = run.model_copy(deep=True)
    assert approve(run, framework, PEOPLE, OPS, AT, phase_id="plan") == []
    assert run == before
