"""Faults with real processes: many concurrent writers, and writers killed mid-write."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import run_main
from opsctl.store.documents import ItemStatus, RunDocument
from opsctl.store.runs import RunStore
from opsctl.store.workspace import Workspace


def big_framework(items: int) -> str:
    lines = [
        "id: big",
        "title: Big",
        "area: Testing",
        "summary: One phase with many items.",
        "phases:",
        "  - id: all",
        "    title: Everything",
        "    items:",
    ]
    lines += [
        f"      - {{id: item-{n}, title: Item {n}, help: Tick it., owner: qa}}"
        for n in range(items)
    ]
    return "\n".join(lines) + "\n"


def make_workspace(root: Path, capsys: pytest.CaptureFixture[str], items: int, run_id: str) -> None:
    assert run_main(["init"], capsys)[0] == 0
    (root / ".opsctl" / "frameworks" / "big.yaml").write_text(
        big_framework(items), encoding="utf-8"
    )
    code, out, err = run_main(["start", "big", "--title", "Big run", "--id", run_id], capsys)
    assert code == 0, (out, err)


def spawn(script: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- (a) many processes writing one run at once ----------------------------------------------

WORKER = """
    import sys, time
    from pathlib import Path
    from opsctl import clock
    from opsctl.store.documents import ItemStatus
    from opsctl.engine.runs import set_item
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

    root, run_id, worker, first, count, go = sys.argv[1:]
    store = RunStore(Workspace(Path(root)))
    while not Path(go).exists():
        time.sleep(0.01)
    for n in range(int(first), int(first) + int(count)):
        with store.update(run_id) as document:
            framework = store.framework_of(document)
            set_item(document, framework, f"all/item-{n}", ItemStatus.DONE, worker, clock.now())
"""


def test_parallel_writers_lose_no_update(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    workers, per_worker = 8, 50
    make_workspace(isolated, capsys, workers * per_worker, "big")
    go = isolated / "go"
    processes = [
        spawn(WORKER, isolated, "big", f"w{w}", w * per_worker, per_worker, go)
        for w in range(workers)
    ]
    time.sleep(0.3)
    go.touch()  # release them together, once all have (mostly) imported
    try:
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    path = isolated / ".opsctl" / "runs" / "big.json"
    json.loads(path.read_text(encoding="utf-8"))
    document = RunStore(Workspace(isolated)).load("big")
    assert len(document.items) == workers * per_worker
    assert all(state.status is ItemStatus.DONE for state in document.items.values())
    for w in range(workers):
        for n in range(w * per_worker, (w + 1) * per_worker):
            assert document.items[f"all/item-{n}"].by == f"w{w}"
    assert len(document.history) == 1 + workers * per_worker
    assert document.history[0].action == "start"
    assert sorted(e.item for e in document.history[1:]) == sorted(document.items)
    assert all(e.action == "done" for e in document.history[1:])
    assert sorted(p.name for p in path.parent.glob("*.tmp")) == []


# --- (b) a writer killed at random moments ---------------------------------------------------

TOGGLER = """
    import random, sys
    from pathlib import Path
    from opsctl import clock
    from opsctl.store.documents import ItemStatus
    from opsctl.engine.runs import set_item
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

    root, run_id, items, seed = sys.argv[1:]
    store = RunStore(Workspace(Path(root)))
    rng = random.Random(int(seed))
    print("ready", flush=True)
    while True:
        key = f"all/item-{rng.randrange(int(items))}"
        with store.update(run_id) as document:
            status = ItemStatus.OPEN if key in document.items else ItemStatus.DONE
            set_item(document, store.framework_of(document), key, status, "writer", clock.now())
"""


def check_consistent(document: RunDocument) -> int:
    """History and item states agree; returns the number of writes recorded."""
    assert document.history[0].action == "start"
    writes = document.history[1:]
    assert all(event.action in ("done", "reopen") for event in writes)
    replay: dict[str, object] = {}
    for event in writes:
        assert event.item is not None
        if event.action == "done":
            assert event.item not in replay, "done recorded for an item already done"
            replay[event.item] = event.at
        else:
            assert event.item in replay, "reopen recorded for an open item"
            del replay[event.item]
    assert set(document.items) == set(replay)
    for key, state in document.items.items():
        assert state.status is ItemStatus.DONE
        assert state.at == replay[key]
    return len(writes)


def test_writer_killed_mid_write_never_leaves_a_broken_file(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    items, wanted_writes, min_kills = 25, 200, 6
    make_workspace(isolated, capsys, items, "w")
    store = RunStore(Workspace(isolated))
    path = store.path("w")
    rng = random.Random(1234)
    writes, kills = 0, 0
    deadline = time.monotonic() + 40
    while (writes < wanted_writes or kills < min_kills) and time.monotonic() < deadline:
        writer = spawn(TOGGLER, isolated, "w", items, kills)
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
            time.sleep(rng.uniform(0.01, 0.25))
            assert writer.poll() is None, writer.communicate()[1]
            writer.send_signal(signal.SIGKILL)
            writer.communicate(timeout=30)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.communicate()
        assert writer.returncode == -signal.SIGKILL
        kills += 1

        json.loads(path.read_text(encoding="utf-8"))  # a whole file, never a torn one
        now = check_consistent(store.load("w"))
        assert now >= writes
        writes = now

    assert kills >= min_kills
    assert writes >= wanted_writes, f"only {writes} writes in {kills} runs of the writer"

    # Stray temporary files from killed writers are never taken for runs.
    assert store.ids() == ["w"]
    code, out, err = run_main(["runs", "--format", "json"], capsys)
    assert code == 0, err
    assert [row["id"] for row in json.loads(out)["runs"]] == ["w"]

    # The lock of a killed writer does not block the next one.
    with store.update("w") as document:
        from opsctl import clock
        from opsctl.engine.runs import set_item

        key = "all/item-0"
        status = ItemStatus.OPEN if key in document.items else ItemStatus.DONE
        set_item(document, store.framework_of(document), key, status, "test", clock.now())
    assert check_consistent(store.load("w")) == writes + 1
