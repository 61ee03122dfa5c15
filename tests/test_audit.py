"""Tamper evidence: `opsctl audit verify` on real files, and the audit module itself."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import CliCaller, two_phase_framework
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine import history as audit
from opsctl.engine.approvals import approve
from opsctl.engine.runs import advance, new_run, set_item
from opsctl.engine.transitions import replay
from opsctl.store.documents import ItemStatus, RunDocument, chain_history, upgrade_run_1_to_2
from opsctl.store.files import dumps

FRAMEWORK = two_phase_framework(
    "audited",
    scope={"help": "Link it.", "evidence": "link"},
    ship_items=[{"id": "deploy", "title": "Deployed", "help": "Deploy.", "owner": "operations"}],
)

UTC = dt.timezone.utc
DONE = ItemStatus.DONE


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


# Real files through the CLI.


class Workspace(CliCaller):
    def path(self, run_id: str = "rel-1") -> Path:
        return self.root / ".opsctl" / "runs" / f"{run_id}.json"

    def read(self, run_id: str = "rel-1") -> dict[str, Any]:
        return json.loads(self.path(run_id).read_text(encoding="utf-8"))

    def write(self, document: dict[str, Any], run_id: str = "rel-1") -> None:
        self.path(run_id).write_text(dumps(document), encoding="utf-8")


@pytest.fixture
def ws(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A run with seven events: start, done, done, approve, advance, done, reopen."""
    workspace = Workspace(isolated, capsys, monkeypatch)
    workspace.ok("init")
    (isolated / ".opsctl" / "frameworks" / "audited.yaml").write_text(FRAMEWORK, encoding="utf-8")
    workspace.ok("team", "add", "dir@example.com", "--role", "product-director")
    workspace.ok("start", "audited", "--title", "Release 1", "--id", "rel-1")
    workspace.ok("done", "rel-1", "scope", "--evidence", "https://wiki.example.com/scope")
    workspace.ok("done", "rel-1", "risks", "--note", "three risks")
    workspace.ok("approve", "rel-1", "-m", "go", user="dir@example.com")
    workspace.ok("advance", "rel-1")
    workspace.ok("done", "rel-1", "deploy")
    workspace.ok("reopen", "rel-1", "deploy")
    assert len(workspace.read()["history"]) == 7
    return workspace


def verify_fails(ws: Workspace, *needles: str, run_id: str = "rel-1") -> str:
    code, out, err = ws("audit", "verify", run_id)
    assert code == 1, (out, err)
    assert out == ""
    assert err.startswith(f"opsctl: audit: {run_id}:")
    for needle in needles:
        assert needle in err, err
    return err


def test_intact_run_verifies(ws: Workspace) -> None:
    assert ws.ok("audit", "verify", "rel-1") == "rel-1: intact (7 events)\n"
    assert ws.ok("audit", "verify") == "rel-1: intact (7 events)\n"


def test_an_edited_event_is_named(ws: Workspace) -> None:
    document = ws.read()
    event = document["history"][1]
    assert event["action"] == "done"
    event["detail"]["evidence"] = "https://wiki.example.com/other-scope"
    ws.write(document)
    verify_fails(ws, "event #2", "(done plan/scope by pm@example.com", "was edited")


def test_an_edited_actor_is_named(ws: Workspace) -> None:
    document = ws.read()
    document["history"][3]["actor"] = "boss@example.com"
    ws.write(document)
    verify_fails(ws, "event #4", "(approve plan by boss@example.com", "was edited")


def test_a_deleted_event_is_named(ws: Workspace) -> None:
    document = ws.read()
    removed = document["history"].pop(2)
    assert removed["item"] == "plan/risks"
    ws.write(document)
    verify_fails(ws, "event #3", "(approve plan by dir@example.com", "removed or reordered")


def test_two_swapped_events_are_named(ws: Workspace) -> None:
    document = ws.read()
    history = document["history"]
    history[1], history[2] = history[2], history[1]
    ws.write(document)
    verify_fails(ws, "event #2", "(done plan/risks", "does not follow the event before it")


def test_a_state_edited_by_hand_is_named(ws: Workspace) -> None:
    document = ws.read()
    document["items"]["ship/deploy"] = {
        "status": "done",
        "by": "pm@example.com",
        "at": document["history"][-1]["at"],
    }
    ws.write(document)
    verify_fails(
        ws,
        "state does not follow from the history",
        "item 'ship/deploy' is 'done' but the history leads to 'open'",
    )


def test_evidence_edited_in_the_state_only_is_named(ws: Workspace) -> None:
    document = ws.read()
    document["items"]["plan/scope"]["evidence"] = "https://elsewhere.example.com"
    ws.write(document)
    verify_fails(ws, "item 'plan/scope' differs from what the history recorded")


def test_a_phase_edited_by_hand_is_named(ws: Workspace) -> None:
    document = ws.read()
    document["phase"] = "plan"
    ws.write(document)
    verify_fails(ws, "phase is 'plan' but the history leads to 'ship'")


def test_an_approval_edited_by_hand_is_named(ws: Workspace) -> None:
    document = ws.read()
    document["approvals"][0]["by"] = "pm@example.com"
    ws.write(document)
    verify_fails(ws, "the sign-offs do not follow from the history")


def test_the_last_event_removed_is_a_head_mismatch(ws: Workspace) -> None:
    document = ws.read()
    document["history"].pop()
    ws.write(document)
    verify_fails(ws, "event #6", "the last event is not the recorded head")


def test_the_first_bad_event_is_reported(ws: Workspace) -> None:
    document = ws.read()
    document["history"][5]["detail"]["note"] = "late edit"
    document["history"][2]["detail"]["note"] = "early edit"
    ws.write(document)
    verify_fails(ws, "event #3")


def test_every_run_is_checked_and_json_names_the_bad_one(ws: Workspace) -> None:
    ws.ok("start", "audited", "--title", "Release 2", "--id", "rel-2")
    document = ws.read("rel-1")
    document["history"][1]["detail"]["evidence"] = "https://edited.example.com"
    ws.write(document)

    code, out, err = ws("audit", "verify")
    assert code == 1
    assert out.startswith("rel-2: intact (1 event")
    assert "rel-1: event #2" in err

    code, out, _ = ws("audit", "verify", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["kind"] == "audit"
    assert report["version"] == 1
    assert report["ok"] is False
    [bad, good] = report["runs"]
    assert set(bad) == {"id", "events", "ok", "event", "message"}
    assert (bad["id"], bad["events"], bad["ok"], bad["event"]) == ("rel-1", 7, False, 2)
    assert "was edited" in bad["message"]
    assert good == {"id": "rel-2", "events": 1, "ok": True, "event": None, "message": None}


def test_json_output_of_an_intact_store(ws: Workspace) -> None:
    report = json.loads(ws.ok("audit", "verify", "rel-1", "--format", "json"))
    assert report == {
        "kind": "audit",
        "version": 1,
        "ok": True,
        "runs": [{"id": "rel-1", "events": 7, "ok": True, "event": None, "message": None}],
    }


def test_state_finding_has_no_event_number_in_json(ws: Workspace) -> None:
    document = ws.read()
    document["status"] = "completed"
    ws.write(document)
    code, out, _ = ws("audit", "verify", "--format", "json")
    assert code == 1
    [run] = json.loads(out)["runs"]
    assert run["event"] is None
    assert "status is 'completed' but the history leads to 'active'" in run["message"]


def test_unknown_run_is_a_usage_error(ws: Workspace) -> None:
    code, _, err = ws("audit", "verify", "nope")
    assert code == 2
    assert "unknown run 'nope'" in err


# A schema-1 run document, written by hand: no prev, hash or head.


def schema_1_run(digest: str) -> dict[str, Any]:
    return {
        "schema": 1,
        "kind": "run",
        "id": "old-run",
        "title": "Old run",
        "framework": {"id": "audited", "digest": digest},
        "created": "2026-01-05T09:00:00Z",
        "created_by": "pm@example.com",
        "status": "active",
        "phase": "plan",
        "items": {
            "plan/scope": {
                "status": "done",
                "by": "pm@example.com",
                "at": "2026-01-05T10:00:00Z",
                "evidence": "https://wiki.example.com/scope",
            }
        },
        "approvals": [],
        "history": [
            {
                "at": "2026-01-05T09:00:00Z",
                "actor": "pm@example.com",
                "action": "start",
                "detail": {
                    "framework": "audited",
                    "title": "Old run",
                    "digest": digest,
                    "phase": "plan",
                },
            },
            {
                "at": "2026-01-05T10:00:00Z",
                "actor": "pm@example.com",
                "action": "done",
                "phase": "plan",
                "item": "plan/scope",
                "detail": {"evidence": "https://wiki.example.com/scope"},
            },
        ],
    }


def test_a_schema_1_run_is_upgraded_on_read_and_verifies(ws: Workspace) -> None:
    digest = ws.read()["framework"]["digest"]
    ws.write(schema_1_run(digest), "old-run")
    before = ws.path("old-run").read_bytes()

    assert ws.ok("audit", "verify", "old-run") == "old-run: intact (2 events)\n"
    status = json.loads(ws.ok("status", "old-run", "--format", "json"))
    assert status["run"]["progress"]["complete"] == 1
    assert ws.path("old-run").read_bytes() == before, "reading does not rewrite the file"

    ws.ok("done", "old-run", "risks")
    written = ws.read("old-run")
    assert written["schema"] == 2
    assert [bool(e["hash"]) for e in written["history"]] == [True, True, True]
    assert written["history"][0]["prev"] == ""
    assert written["history"][1]["prev"] == written["history"][0]["hash"]
    assert written["head"] == written["history"][-1]["hash"]
    assert ws.ok("audit", "verify", "old-run") == "old-run: intact (3 events)\n"


def test_a_schema_1_run_with_a_state_edited_by_hand_is_caught(ws: Workspace) -> None:
    digest = ws.read()["framework"]["digest"]
    document = schema_1_run(digest)
    document["items"]["plan/risks"] = {
        "status": "done",
        "by": "pm@example.com",
        "at": "2026-01-05T11:00:00Z",
    }
    ws.write(document, "old-run")
    verify_fails(ws, "item 'plan/risks' is 'done'", run_id="old-run")


def test_upgrade_run_1_to_2_links_the_history() -> None:
    original = schema_1_run("sha256:" + "0" * 64)
    upgraded = upgrade_run_1_to_2(copy.deepcopy(original))
    history = upgraded["history"]
    assert history[0]["prev"] == ""
    assert history[1]["prev"] == history[0]["hash"]
    assert upgraded["head"] == history[1]["hash"]
    for raw, event in zip(original["history"], history, strict=True):
        assert {k: v for k, v in event.items() if k not in ("prev", "hash")} == raw
    upgraded["schema"] = 2
    document = RunDocument.model_validate(upgraded)
    assert audit.check_chain(document) is None
    assert audit.verify(document) is None


def test_upgrade_of_an_empty_history_adds_no_head() -> None:
    document = {"schema": 1, "history": []}
    assert upgrade_run_1_to_2(document) == {"schema": 1, "history": []}


def test_chain_history_replaces_stale_hashes() -> None:
    events = [
        {"at": "2026-01-05T09:00:00Z", "actor": "a", "action": "start", "hash": "sha256:bogus"},
        {"at": "2026-01-05T10:00:00Z", "actor": "a", "action": "note"},
    ]
    chained = chain_history(events)
    assert chained[0]["hash"] != "sha256:bogus"
    assert chained[1]["prev"] == chained[0]["hash"]


# The audit module on documents in memory.


@pytest.fixture
def framework() -> Framework:
    return Framework.model_validate(yaml.safe_load(FRAMEWORK))


@pytest.fixture
def document(framework: Framework) -> RunDocument:
    people = [Person(email="dir@example.com", roles=["product-director"])]
    run = new_run(framework, "rel-1", "Release 1", dt.date(2026, 4, 1), "pm@example.com", at(9))
    set_item(run, framework, "scope", DONE, "pm@example.com", at(10), evidence="https://x.io/s")
    set_item(run, framework, "risks", DONE, "dev@example.com", at(10, 5))
    approve(run, framework, people, "dir@example.com", at(11), comment="ok")
    advance(run, framework, "pm@example.com", at(12))
    set_item(run, framework, "deploy", DONE, "ops@example.com", at(13))
    advance(run, framework, "pm@example.com", at(14))
    return run


def test_verify_accepts_a_document_built_by_the_engine(document: RunDocument) -> None:
    assert [e.action for e in document.history] == [
        "start",
        "done",
        "done",
        "approve",
        "advance",
        "done",
        "advance",
        "complete",
    ]
    assert audit.check_chain(document) is None
    assert audit.verify(document) is None


def test_replay_rebuilds_the_state(document: RunDocument) -> None:
    replayed = replay(document)
    assert replayed.phase is None
    assert replayed.status is document.status
    assert replayed.framework.digest == document.framework.digest
    assert replayed.items == document.items
    assert replayed.approvals == document.approvals
    assert replayed.items["plan/scope"].evidence == "https://x.io/s"
    assert replayed.items["plan/risks"].by == "dev@example.com"


def test_replay_follows_voids_and_reopens(framework: Framework) -> None:
    people = [Person(email="dir@example.com", roles=["product-director"])]
    run = new_run(framework, "rel-1", "Release 1", None, "pm@example.com", at(9))
    set_item(run, framework, "scope", DONE, "pm@example.com", at(10), evidence="https://x.io/s")
    set_item(run, framework, "risks", DONE, "pm@example.com", at(10, 30))
    approve(run, framework, people, "dir@example.com", at(11))
    set_item(run, framework, "scope", ItemStatus.OPEN, "pm@example.com", at(12))
    replayed = replay(run)
    assert list(replayed.items) == ["plan/risks"]
    assert replayed.phase == "plan"
    [approval] = replayed.approvals
    assert approval.voided == "item 'plan/scope' changed after approval"
    assert audit.verify(run) is None


def test_check_chain_names_an_edited_event(document: RunDocument) -> None:
    document.history[2].detail["note"] = "edited"
    finding = audit.check_chain(document)
    assert finding is not None
    assert finding.event == 3
    assert "was edited" in finding.message
    assert str(finding).startswith("rel-1: event #3 (done plan/risks by dev@example.com")
    assert audit.verify(document) == finding


def test_check_chain_names_a_reordered_event(document: RunDocument) -> None:
    document.history[4], document.history[5] = document.history[5], document.history[4]
    finding = audit.check_chain(document)
    assert finding is not None
    assert finding.event == 5
    assert "removed or reordered" in finding.message


def test_verify_names_a_removed_last_event(document: RunDocument) -> None:
    document.history.pop()
    finding = audit.verify(document)
    assert finding is not None
    assert finding.event == 7
    assert "recorded head" in finding.message


def test_verify_names_a_history_without_start(document: RunDocument) -> None:
    document.history.pop(0)
    finding = audit.verify(document)
    assert finding is not None
    assert (finding.event, finding.message) == (1, "history does not begin with 'start'")
    document.history = []
    finding = audit.verify(document)
    assert finding is not None
    assert finding.event is None
    assert str(finding) == "rel-1: history does not begin with 'start'"


def test_verify_names_a_state_that_does_not_follow(document: RunDocument) -> None:
    del document.items["ship/deploy"]
    finding = audit.verify(document)
    assert finding is not None
    assert finding.event is None
    assert "item 'ship/deploy' is 'open' but the history leads to 'done'" in finding.message


def test_verify_names_a_pinned_digest_edited_by_hand(document: RunDocument) -> None:
    document.framework.digest = "sha256:" + "1" * 64
    finding = audit.verify(document)
    assert finding is not None
    assert "pinned definition digest" in finding.message


def test_a_rewritten_chain_is_not_caught(document: RunDocument) -> None:
    """The documented limit: someone who rewrites every hash after an edit is not caught."""
    document.history[1].detail["evidence"] = "https://x.io/forged"
    document.items["plan/scope"].evidence = "https://x.io/forged"
    previous = ""
    for event in document.history:
        event.prev = previous
        event.hash = previous = event.content_hash()
    document.head = previous
    assert audit.verify(document) is None


def test_replay_equals_the_stored_run_field_by_field(document: RunDocument) -> None:
    replayed = replay(document)
    assert replayed.model_dump(exclude={"history", "head"}) == document.model_dump(
        exclude={"history", "head"}
    )


def test_audit_names_a_due_date_added_by_hand(document: RunDocument) -> None:
    document.due = dt.date(2030, 1, 1)
    finding = audit.verify(document)
    assert finding is not None
    assert "due is '2030-01-01' but the history leads to '2026-04-01'" in finding.message


def test_audit_names_a_completion_time_edited_by_hand(document: RunDocument) -> None:
    assert document.completed is not None
    document.completed = document.completed + dt.timedelta(days=3)
    finding = audit.verify(document)
    assert finding is not None
    assert "completed is " in finding.message


def test_audit_names_a_trailing_event_dropped_and_its_hash_pasted_into_head(
    document: RunDocument,
) -> None:
    del document.history[-2:]  # the final advance and its 'complete'
    document.head = document.history[-1].hash
    finding = audit.verify(document)
    assert finding is not None
    assert "the history leads to 'ship'" in finding.message
