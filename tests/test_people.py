"""People on runs: assign, unassign and comment through the CLI, with a three-person roster."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from helpers import CliCaller, opsctl_subprocess, store_snapshot, two_phase_framework
from opsctl.engine.transitions import replay
from opsctl.store.documents import RunDocument

PM, OPS, DIRECTOR = "pm@example.com", "ops@example.com", "dir@example.com"
ROSTER = {PM: "product-manager", OPS: "operations", DIRECTOR: "product-director"}
NOW = "2026-03-02T09:00:00Z"


@pytest.fixture
def opsctl(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliCaller:
    """A workspace with the three-person roster and run rel-1 (plan, then ship) on 2026-03-02."""
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    call = CliCaller(isolated, capsys, monkeypatch)
    call.ok("init")
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(
        two_phase_framework(), encoding="utf-8"
    )
    for email, role in ROSTER.items():
        call.ok("team", "add", email, "--role", role)
    call.ok("start", "signed", "--title", "Release 1", "--id", "rel-1", "--due", "2026-03-20")
    return call


def run(root: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(
        (root / ".opsctl" / "runs" / "rel-1.json").read_text(encoding="utf-8")
    )
    return document


def refused(opsctl: CliCaller, *args: str) -> str:
    """The command exits 2 with one line and leaves every file of the store as it was."""
    before = store_snapshot(opsctl.root)
    code, out, err = opsctl(*args)
    assert code == 2, (args, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("opsctl: "), err
    assert store_snapshot(opsctl.root) == before, f"{args} changed the store"
    return lines[0]


def test_assign_with_a_date_is_recorded_and_replays(opsctl: CliCaller) -> None:
    out = opsctl.ok("assign", "rel-1", "scope", PM, "--due", "2026-03-05")
    assert out.strip() == f"rel-1: plan/scope assigned to {PM}, due 2026-03-05"
    document = run(opsctl.root)
    assert document["assignments"] == {"plan/scope": {"assignee": PM, "due": "2026-03-05"}}
    event = document["history"][-1]  # type: ignore[index]
    assert (event["action"], event["item"], event["detail"]) == (
        "assign",
        "plan/scope",
        {"assignee": PM, "due": "2026-03-05"},
    )
    assert "intact" in opsctl.ok("audit", "verify")
    stored = RunDocument.model_validate(document)
    assert replay(stored).assignments == stored.assignments


@pytest.mark.parametrize(("due", "expected"), [("+3d", "2026-03-05"), ("+2w", "2026-03-16")])
def test_relative_due_dates_are_stored_as_dates(opsctl: CliCaller, due: str, expected: str) -> None:
    opsctl.ok("assign", "rel-1", "plan/risks", PM, "--due", due)
    assert run(opsctl.root)["assignments"] == {"plan/risks": {"assignee": PM, "due": expected}}


def test_reassigning_to_another_role_is_recorded_and_keeps_the_date(opsctl: CliCaller) -> None:
    opsctl.ok("assign", "rel-1", "scope", PM, "--due", "+3d")
    out = opsctl.ok("assign", "rel-1", "scope", OPS, "--any-role")
    assert out.strip() == f"rel-1: plan/scope assigned to {OPS}, due 2026-03-05 (was {PM})"
    document = run(opsctl.root)
    assert document["assignments"] == {
        "plan/scope": {"assignee": OPS, "due": "2026-03-05", "any_role": True}
    }
    detail = document["history"][-1]["detail"]  # type: ignore[index]
    assert detail == {"assignee": OPS, "due": "2026-03-05", "was": PM, "any_role": "yes"}


def test_unassign_keeps_the_due_date_and_is_refused_twice(opsctl: CliCaller) -> None:
    opsctl.ok("assign", "rel-1", "scope", PM, "--due", "+3d")
    out = opsctl.ok("unassign", "rel-1", "scope")
    assert out.strip() == f"rel-1: plan/scope no longer assigned (was {PM})"
    assert run(opsctl.root)["assignments"] == {"plan/scope": {"due": "2026-03-05"}}
    assert "is not assigned" in refused(opsctl, "unassign", "rel-1", "scope")
    assert "intact" in opsctl.ok("audit", "verify")


def pass_plan(opsctl: CliCaller) -> None:
    opsctl.ok("done", "rel-1", "scope")
    opsctl.ok("done", "rel-1", "risks")
    opsctl.ok("approve", "rel-1", user=DIRECTOR)
    opsctl.ok("advance", "rel-1")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scope", "nobody@example.com"], "unknown person 'nobody@example.com'"),
        (["scope", OPS], f"{OPS} does not hold the role product-manager"),
        (["scope", PM, "--due", "2026-03-01"], "--due: 2026-03-01 is in the past"),
        (["scope", PM, "--due", "friday"], "--due: expected YYYY-MM-DD"),
        (["nope", PM], "unknown item 'nope'"),
        (["ship/deploy", OPS, "--due", "+1x"], "--due: expected YYYY-MM-DD"),
    ],
)
def test_bad_assignments_exit_2_and_change_nothing(
    opsctl: CliCaller, args: list[str], says: str
) -> None:
    assert says in refused(opsctl, "assign", "rel-1", *args)


def test_an_item_of_a_passed_phase_cannot_be_assigned(opsctl: CliCaller) -> None:
    pass_plan(opsctl)
    line = refused(opsctl, "assign", "rel-1", "plan/scope", PM)
    assert "belongs to phase 'plan', which run 'rel-1' has already passed" in line
    opsctl.ok("assign", "rel-1", "ship/deploy", OPS, "--due", "+1w")


def test_start_takes_relative_due_dates_and_refuses_past_ones(opsctl: CliCaller) -> None:
    opsctl.ok("start", "signed", "--title", "Two", "--id", "rel-2", "--due", "+2w")
    document = json.loads((opsctl.root / ".opsctl" / "runs" / "rel-2.json").read_text())
    assert document["due"] == "2026-03-16"
    line = refused(opsctl, "start", "signed", "--title", "Three", "--due", "2026-02-01")
    assert "--due: 2026-02-01 is in the past (today is 2026-03-02)" in line


def test_reports_show_the_latest_comment_where_the_item_appears(
    opsctl: CliCaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    opsctl.ok("block", "rel-1", "scope", "--reason", "waiting for legal")
    opsctl.ok("comment", "rel-1", "scope", "legal said <soon> | maybe")
    opsctl.ok("comment", "rel-1", "scope", "legal answers on Friday", user=DIRECTOR)
    monkeypatch.setenv("OPSCTL_NOW", "2026-04-02T09:00:00Z")
    opsctl.ok("comment", "rel-1", "scope", "written in April: not in March's report")
    markdown = opsctl.ok("report", "monthly", "--month", "2026-03")
    assert "| Run | Item | Owner | Reason | Latest comment |" in markdown
    assert f"| waiting for legal | legal answers on Friday ({DIRECTOR}, 2026-03-02) |" in markdown
    assert "April" not in markdown
    html = opsctl.ok("report", "monthly", "--month", "2026-03", "--format", "html")
    assert "<th>Latest comment</th>" in html
    assert f"<td>legal answers on Friday ({DIRECTOR}, 2026-03-02)</td>" in html


def test_a_report_without_comments_has_no_comment_column(opsctl: CliCaller) -> None:
    opsctl.ok("block", "rel-1", "scope", "--reason", "waiting for legal")
    opsctl.ok("comment", "rel-1", "a comment on the run, not on an item")
    assert "Latest comment" not in opsctl.ok("report", "monthly", "--month", "2026-03")


def test_comments_on_a_run_and_an_item_show_in_status_log_and_json(opsctl: CliCaller) -> None:
    assert opsctl.ok("comment", "rel-1", "scope", "legal has not answered").strip() == (
        "rel-1: comment recorded on plan/scope"
    )
    opsctl.ok("comment", "rel-1", "kick-off went well", user=DIRECTOR)
    assert run(opsctl.root)["comments"] == [
        {
            "at": "2026-03-02T09:00:00Z",
            "by": PM,
            "item": "plan/scope",
            "text": "legal has not answered",
        },
        {"at": "2026-03-02T09:00:00Z", "by": DIRECTOR, "text": "kick-off went well"},
    ]
    status = opsctl.ok("status", "rel-1")
    assert f"{PM} on plan/scope: legal has not answered" in status
    assert f"{DIRECTOR}: kick-off went well" in status
    log = opsctl.ok("log", "rel-1")
    assert "comment" in log and "text: kick-off went well" in log
    view = json.loads(opsctl.ok("status", "rel-1", "--format", "json"))
    assert [c["text"] for c in view["comments"]] == ["legal has not answered", "kick-off went well"]
    assert "intact" in opsctl.ok("audit", "verify")


def test_a_completed_run_takes_comments_but_not_assignments(opsctl: CliCaller) -> None:
    pass_plan(opsctl)
    opsctl.ok("done", "rel-1", "deploy")
    opsctl.ok("done", "rel-1", "notes")
    opsctl.ok("advance", "rel-1")
    opsctl.ok("comment", "rel-1", "retro: smooth")
    assert "is completed" in refused(opsctl, "assign", "rel-1", "deploy", OPS)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["rel-1", "   "], "must not be empty"),
        (["rel-1", "nope", "text"], "unknown item 'nope'"),
        (["rel-1", "scope", "two", "words"], "quote the text"),
        (["rel-9", "text"], "unknown run 'rel-9'"),
    ],
)
def test_bad_comments_exit_2_and_change_nothing(
    opsctl: CliCaller, args: list[str], says: str
) -> None:
    assert says in refused(opsctl, "comment", *args)


def test_assignments_and_comments_show_in_status(opsctl: CliCaller) -> None:
    opsctl.ok("assign", "rel-1", "scope", PM, "--due", "+3d")
    status = opsctl.ok("status", "rel-1")
    assert f"assigned to {PM}, due 2026-03-05" in status
    view = json.loads(opsctl.ok("status", "rel-1", "--format", "json"))
    scope = view["phases"][0]["items"][0]
    assert (scope["assignee"], scope["due"]) == (PM, "2026-03-05")
    assert "assignee" not in view["phases"][0]["items"][1]


def test_walk_shows_assignee_and_comments_and_assigns(opsctl: CliCaller) -> None:
    opsctl.ok("assign", "rel-1", "scope", PM, "--due", "+3d")
    opsctl.ok("comment", "rel-1", "scope", "ask legal")
    answers = f"l\na\nnobody@example.com\n\na\n{PM}\n+1w\nl\n"
    result = opsctl_subprocess(
        ["walk", "rel-1"], opsctl.root, {"OPSCTL_NOW": NOW}, input_text=answers
    )
    assert result.returncode == 0, result.stderr
    assert f"owner: product-manager, assigned to {PM}, due 2026-03-05" in result.stdout
    assert f"2026-03-02 {PM}: ask legal" in result.stdout
    assert "unknown person 'nobody@example.com'" in result.stdout
    assert f"assigned to {PM}, due 2026-03-09" in result.stdout
    assert run(opsctl.root)["assignments"] == {
        "plan/scope": {"assignee": PM, "due": "2026-03-05"},
        "plan/risks": {"assignee": PM, "due": "2026-03-09"},
    }


def test_assign_through_a_process_prints_json(opsctl: CliCaller) -> None:
    result = opsctl_subprocess(
        ["assign", "rel-1", "scope", PM, "--due", "+3d", "--format", "json"],
        opsctl.root,
        {"OPSCTL_NOW": NOW},
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["kind"], document["version"]) == ("assigned", 1)
    assert (document["item"], document["assignee"], document["due"]) == (
        "plan/scope",
        PM,
        "2026-03-05",
    )


def test_assignments_and_comments_from_two_branches_merge(opsctl: CliCaller) -> None:
    from opsctl.engine.history import verify
    from opsctl.git.merge import merge_file

    runs = opsctl.root / ".opsctl" / "runs"
    base = (runs / "rel-1.json").read_bytes()
    opsctl.ok("assign", "rel-1", "scope", PM, "--due", "+3d")
    opsctl.ok("comment", "rel-1", "scope", "ours")
    ours = runs.parent / "ours.json"
    ours.write_bytes((runs / "rel-1.json").read_bytes())
    (runs / "rel-1.json").write_bytes(base)
    opsctl.monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T10:00:00Z")
    opsctl.ok("assign", "rel-1", "scope", OPS, "--any-role")
    opsctl.ok("assign", "rel-1", "deploy", OPS, "--due", "+1w")
    theirs = runs / "rel-1.json"
    merged = merge_file(ours, theirs, dt_at("2026-03-02T11:00:00Z"))
    document = RunDocument.model_validate(merged.content())
    assert verify(document) is None
    assert document.assignments is not None
    assert {key: a.assignee for key, a in document.assignments.items()} == {
        "plan/scope": OPS,
        "ship/deploy": OPS,
    }, "the later assignment of one item wins; others combine"
    assert document.assignments["plan/scope"].due is None
    assert [c.text for c in document.comments or []] == ["ours"]


def dt_at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_digest_counts_items_done_in_a_run_that_completed_in_the_period(
    opsctl: CliCaller,
) -> None:
    """The last item done completes the run: it and the others still count as done."""
    opsctl.ok("done", "rel-1", "scope", "-e", "https://wiki/scope")
    opsctl.ok("done", "rel-1", "risks", "-e", "https://wiki/risks")
    opsctl.ok("approve", "rel-1", user=DIRECTOR)
    opsctl.ok("advance", "rel-1")
    opsctl.ok("done", "rel-1", "deploy", user=OPS)
    opsctl.ok("done", "rel-1", "notes", user=OPS)
    opsctl.ok("advance", "rel-1")
    assert run(opsctl.root)["status"] == "completed"
    digest = json.loads(opsctl.ok("digest", "--format", "json"))
    done = {row["person"]: row["done"] for row in digest["people"]}
    assert (done.get(PM), done.get(OPS)) == (2, 2)
