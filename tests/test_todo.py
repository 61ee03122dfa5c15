"""todo, digest and the run selectors, against runs with items assigned, due, overdue and
waiting for a sign-off (three-person roster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import CliCaller, opsctl_subprocess, store_snapshot, two_phase_framework

PM, OPS, DIRECTOR = "pm@example.com", "ops@example.com", "dir@example.com"
ROSTER = {PM: "product-manager", OPS: "operations", DIRECTOR: "product-director"}
TODAY = "2026-03-10T09:00:00Z"


@pytest.fixture
def opsctl(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliCaller:
    """Two runs of the plan-then-ship framework; the clock then stands on 2026-03-10.

    rel-1 (due 03-20): scope to pm due 03-05 (overdue), risks to pm due 03-12,
    ship/deploy to ops due 03-25 (a later phase). rel-2 (due 03-30): plan done
    by pm on 03-09, waiting for the director's sign-off; its release notes
    waived until 03-14.
    """
    call = CliCaller(isolated, capsys, monkeypatch)
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:00:00Z")
    call.ok("init")
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(
        two_phase_framework(), encoding="utf-8"
    )
    for email, role in ROSTER.items():
        call.ok("team", "add", email, "--role", role)
    call.ok("start", "signed", "--title", "Release 1", "--id", "rel-1", "--due", "2026-03-20")
    call.ok("start", "signed", "--title", "Release 2", "--id", "rel-2", "--due", "2026-03-30")
    call.ok("assign", "rel-1", "scope", PM, "--due", "2026-03-05")
    call.ok("assign", "rel-1", "risks", PM, "--due", "2026-03-12")
    call.ok("assign", "rel-1", "deploy", OPS, "--due", "2026-03-25")
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-09T09:00:00Z")
    call.ok("done", "rel-2", "scope")
    call.ok("done", "rel-2", "risks")
    call.ok(
        "skip", "rel-2", "notes", "--reason", "no user-facing change", "--expires", "2026-03-14"
    )
    monkeypatch.setenv("OPSCTL_NOW", TODAY)
    return call


def todo(opsctl: CliCaller, *args: str, user: str = PM) -> dict[str, object]:
    document: dict[str, object] = json.loads(
        opsctl.ok("todo", *args, "--format", "json", user=user)
    )
    return document


def test_todo_lists_my_items_soonest_due_first(opsctl: CliCaller) -> None:
    document = todo(opsctl)
    assert (document["kind"], document["version"], document["person"]) == ("todo", 1, PM)
    items = document["items"]
    assert isinstance(items, list)
    assert [(i["run"], i["item"], i["due"], i["overdue"]) for i in items] == [
        ("rel-1", "plan/scope", "2026-03-05", True),
        ("rel-1", "plan/risks", "2026-03-12", False),
    ]
    assert items[0]["waiting_for"] == "" and items[0]["unblocks"] == "the gate of phase 'plan'"
    assert document["signoffs"] == []


def test_todo_of_someone_else_shows_what_their_item_waits_for(opsctl: CliCaller) -> None:
    document = todo(opsctl, "--person", OPS)
    items = document["items"]
    assert isinstance(items, list)
    assert [(i["item"], i["assignee"], i["waiting_for"]) for i in items] == [
        ("ship/deploy", OPS, "phase 'plan' to pass its gate")
    ]


def test_todo_lists_phases_waiting_for_my_sign_off(opsctl: CliCaller) -> None:
    document = todo(opsctl, user=DIRECTOR)
    assert document["items"] == []
    signoffs = document["signoffs"]
    assert isinstance(signoffs, list)
    assert [(s["run"], s["phase"], s["role"], s["ready"]) for s in signoffs] == [
        ("rel-1", "plan", "product-director", False),
        ("rel-2", "plan", "product-director", True),
    ]
    text = opsctl.ok("todo", user=DIRECTOR)
    assert "sign-off: rel-2 phase 'plan' as product-director (items complete)" in text


def test_todo_overdue_and_unassigned_items_of_my_role(opsctl: CliCaller) -> None:
    assert [i["item"] for i in todo(opsctl, "--overdue")["items"]] == ["plan/scope"]  # type: ignore[union-attr]
    opsctl.ok("unassign", "rel-1", "risks")
    items = todo(opsctl)["items"]
    assert isinstance(items, list)
    assert [(i["item"], i["assignee"], i["due"]) for i in items] == [
        ("plan/scope", PM, "2026-03-05"),
        ("plan/risks", None, "2026-03-12"),
    ]
    text = opsctl.ok("todo")
    assert "2026-03-05 overdue" in text and "(product-manager)" in text


def test_todo_for_an_unknown_person_exits_2(opsctl: CliCaller) -> None:
    code, _, err = opsctl("todo", "--person", "nobody@example.com")
    assert code == 2
    assert err.count("\n") == 1 and "unknown person 'nobody@example.com'" in err


def test_digest_json_per_person(opsctl: CliCaller) -> None:
    document = json.loads(opsctl.ok("digest", "--format", "json"))
    assert (document["kind"], document["version"]) == ("digest", 1)
    assert (document["since"], document["until"]) == ("2026-03-03", "2026-03-17")
    people = {row["person"]: row for row in document["people"]}
    assert sorted(people) == [DIRECTOR, PM], "ops has nothing due within the week"
    pm = people[PM]
    assert [i["item"] for i in pm["overdue"]] == ["plan/scope"]
    assert [i["item"] for i in pm["due_soon"]] == ["plan/risks"]
    assert [(w["run"], w["item"], w["expires"]) for w in pm["waivers_expiring"]] == [
        ("rel-2", "ship/notes", "2026-03-14")
    ]
    assert pm["done"] == 2
    assert [(s["run"], s["ready"]) for s in people[DIRECTOR]["signoffs"]] == [
        ("rel-1", False),
        ("rel-2", True),
    ]
    longer = json.loads(opsctl.ok("digest", "--since", "3w", "--format", "json"))
    assert OPS in {row["person"] for row in longer["people"]}


def test_digest_markdown(opsctl: CliCaller) -> None:
    text = opsctl.ok("digest")
    assert text.startswith("# opsctl digest 2026-03-10 (due up to 2026-03-17)\n")
    assert f"## {PM}\n" in text
    assert "**Overdue**\n- rel-1 `plan/scope` Scope agreed (due 2026-03-05)\n" in text
    assert "**Waiting for your sign-off**\n- rel-1 phase `plan` as product-director\n" in text
    assert "- rel-2 `ship/notes` on 2026-03-14: no user-facing change" in text


def test_digest_slack_is_a_block_kit_message(opsctl: CliCaller) -> None:
    result = opsctl_subprocess(["digest", "--format", "slack"], opsctl.root, {"OPSCTL_NOW": TODAY})
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert isinstance(message["text"], str) and message["text"]
    blocks = message["blocks"]
    assert 1 < len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["type"] == "plain_text"
    for block in blocks[1:]:
        assert block["type"] in ("section", "divider")
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn"
            assert 0 < len(block["text"]["text"]) <= 3000
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith(f"*{PM}*\n*Overdue*\n- rel-1 `plan/scope`")


def test_digest_with_a_bad_period_exits_2(opsctl: CliCaller) -> None:
    code, _, err = opsctl("digest", "--since", "a week")
    assert code == 2 and "--since: expected a number of days or weeks" in err


def runs(opsctl: CliCaller, *args: str) -> list[str]:
    return [row["id"] for row in json.loads(opsctl.ok("runs", *args, "--format", "json"))["runs"]]


def test_runs_selectors(opsctl: CliCaller) -> None:
    assert runs(opsctl) == ["rel-1", "rel-2"]
    assert runs(opsctl, "--assignee", OPS) == ["rel-1"]
    assert runs(opsctl, "--assignee", DIRECTOR) == []
    assert runs(opsctl, "--overdue") == ["rel-1"]
    assert runs(opsctl, "--due-before", "2026-03-25") == ["rel-1"]
    assert runs(opsctl, "--due-before", "+3w") == ["rel-1", "rel-2"]
    assert runs(opsctl, "--framework", "signed", "--status", "active") == ["rel-1", "rel-2"]
    assert runs(opsctl, "--status", "completed") == []
    assert runs(opsctl, "--framework", "release-management") == []
    assert "no run matches the selectors" in opsctl.ok("runs", "--status", "completed")


def test_check_takes_the_selectors(opsctl: CliCaller) -> None:
    code, out, _ = opsctl("check", "--assignee", OPS, "--format", "json")
    assert code in (0, 1)
    assert [run["id"] for run in json.loads(out)["runs"]] == ["rel-1"]
    code, out, _ = opsctl("check", "--all", "--status", "completed", "--format", "json")
    assert (code, json.loads(out)["notes"]) == (0, ["no run matches the selectors"])
    before = store_snapshot(opsctl.root)
    code, _, err = opsctl("check", "rel-1", "--overdue")
    assert code == 2 and "selectors" in err and err.count("\n") == 1
    assert store_snapshot(opsctl.root) == before


def test_runs_label_selector_on_the_demo(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-12-03T09:00:00Z")
    call = CliCaller(isolated, capsys, monkeypatch)
    call.ok("demo", "demo")
    monkeypatch.chdir(isolated / "demo")
    assert runs(call, "--label", "customer-facing") == ["rel-2-4"]
    assert runs(call, "--label", "customer-facing", "--label", "emergency") == []
    code, _, err = call("runs", "--due-before", "soon")
    assert code == 2 and "--due-before: expected YYYY-MM-DD" in err


def test_digest_escapes_text_from_other_people(opsctl: CliCaller) -> None:
    opsctl.ok("block", "rel-1", "scope", "--reason", "ask <!channel> \x1b[31mnow\x1b[0m\nplease")
    for digest_format in ("markdown", "slack"):
        out = opsctl.ok("digest", "--format", digest_format)
        assert "\x1b" not in out
        assert "blocked: ask &lt;!channel&gt; [31mnow[0m please" in out
        assert "<!channel>" not in out


def test_someone_not_on_the_roster_is_told_why_nothing_is_listed(opsctl: CliCaller) -> None:
    out = opsctl.ok("todo", user="visitor@example.com")
    assert out.strip() == (
        "nothing to do for visitor@example.com (no role on the team roster: see opsctl team list)"
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--framework", "signd", "--framework: unknown framework 'signd'"),
        (
            "--assignee",
            "bem@example.com",
            "--assignee: 'bem@example.com' is not on the team roster",
        ),
    ],
)
def test_a_misspelt_selector_fails_closed_instead_of_selecting_nothing(
    opsctl: CliCaller, flag: str, value: str, message: str
) -> None:
    """check --all over nothing passes: a typo in a CI job must not turn the gate green."""
    for command in (["check", "--all"], ["runs"]):
        before = store_snapshot(opsctl.root)
        code, out, err = opsctl(*command, flag, value)
        assert (code, out) == (2, "")
        assert err.startswith(f"opsctl: error: {message}"), err
        assert store_snapshot(opsctl.root) == before
