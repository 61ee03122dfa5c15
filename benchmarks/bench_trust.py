"""Trust figures: parallel writers' events kept, killed writes torn, hostile inputs handled.

Three measurements with real processes, printed as n/N:

- parallel writers: W processes each record E items of one run at once through
  the real store (lock, read, change, atomic write); every event must be kept;
- killed writes: a writer toggling items is killed with SIGKILL at random
  moments, K times; after each kill the run file must parse and verify;
- hostile inputs: a corpus of inputs by kind (non-UTF-8 bytes, newlines,
  FIFOs, deep nesting, lenient schemas, NaN, huge numbers, broken config,
  out-of-range times); each must exit 2 with one line, no traceback, and
  leave the store byte-identical.

Usage: python benchmarks/bench_trust.py [--writers 8] [--events 50] [--kills 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

PY = os.fsencode(sys.executable)
WRITER = """
    import sys, time
    from pathlib import Path
    from opsctl import clock
    from opsctl.store.documents import ItemStatus
    from opsctl.engine.runs import set_item
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

    root, worker, first, count, go = sys.argv[1:]
    store = RunStore(Workspace(Path(root)))
    while not Path(go).exists():
        time.sleep(0.01)
    for n in range(int(first), int(first) + int(count)):
        with store.update("big") as document:
            set_item(document, store.framework_of(document), f"all/item-{n}",
                     ItemStatus.DONE, worker, clock.now())
"""
TOGGLER = """
    import sys
    from pathlib import Path
    from opsctl import clock
    from opsctl.store.documents import ItemStatus
    from opsctl.engine.runs import set_item
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

    store = RunStore(Workspace(Path(sys.argv[1])))
    n = 0
    while True:
        with store.update("big") as document:
            key = f"all/item-{n % 20}"
            status = ItemStatus.OPEN if key in document.items else ItemStatus.DONE
            set_item(document, store.framework_of(document), key, status, "w", clock.now())
        n += 1
"""


def opsctl(
    args: list[str | bytes], cwd: Path, **env: str | bytes
) -> subprocess.CompletedProcess[bytes]:
    full = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    full.update({k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in env.items()})
    argv = [PY, b"-m", b"opsctl", *(a if isinstance(a, bytes) else a.encode() for a in args)]
    return subprocess.run(
        argv,
        cwd=cwd,
        env=full,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def workspace(root: Path, items: int) -> None:
    root.mkdir(parents=True)
    assert opsctl(["init"], root).returncode == 0
    lines = [
        "id: big",
        "title: Big",
        "area: Testing",
        "summary: Many items.",
        "phases:",
        "  - id: all",
        "    title: All",
        "    items:",
    ]
    lines += [
        f"      - {{id: item-{n}, title: Item {n}, help: Do it., owner: qa}}" for n in range(items)
    ]
    (root / ".opsctl" / "frameworks" / "big.yaml").write_text("\n".join(lines) + "\n")
    assert opsctl(["start", "big", "--title", "Big", "--id", "big"], root).returncode == 0


def parallel_writers(root: Path, writers: int, events: int) -> tuple[int, int]:
    workspace(root, writers * events)
    go = root / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(WRITER),
                str(root),
                f"w{w}",
                str(w * events),
                str(events),
                str(go),
            ]
        )
        for w in range(writers)
    ]
    time.sleep(0.5)
    go.touch()
    for proc in procs:
        proc.wait(timeout=300)
    document = json.loads((root / ".opsctl" / "runs" / "big.json").read_text())
    kept = sum(1 for event in document["history"] if event["action"] == "done")
    return kept, writers * events


def killed_writes(root: Path, kills: int) -> tuple[int, int]:
    workspace(root, 20)
    torn = 0
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(TOGGLER), str(root)])
        time.sleep(random.uniform(0.15, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if opsctl(["audit", "verify", "big"], root).returncode != 0:
            torn += 1
    return torn, kills


def snapshot(root: Path) -> dict[str, bytes]:
    store = root / ".opsctl"
    return {
        str(p): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and "cache" not in p.parts and not p.name.endswith(".lock")
    }


def _edit_run(root: Path, change: str) -> None:
    path = root / ".opsctl" / "runs" / "r1.json"
    document = json.loads(path.read_text())
    if change == "string-schema":
        document["schema"] = "2"
    else:
        document.pop("schema")
    path.write_text(json.dumps(document))


HOSTILE: list[tuple[str, list[str | bytes], dict[str, str | bytes], str]] = [
    (
        "non-UTF-8 argument",
        ["done", "r1", "planning/stakeholders-aligned", "-e", b"https://x/\xff"],
        {},
        "",
    ),
    (
        "non-UTF-8 argument",
        ["skip", "r1", "planning/timeline-published", "--reason", b"r\xff"],
        {},
        "",
    ),
    ("non-UTF-8 argument", ["start", "release-management", "--title", b"T\xff"], {}, ""),
    ("non-UTF-8 argument", ["team", "add", "q@x", "--role", "qa", "--name", b"N\xff"], {}, ""),
    (
        "non-UTF-8 identity",
        ["done", "r1", "planning/success-criteria-defined", "-e", "x"],
        {"OPSCTL_USER": b"u\xff"},
        "",
    ),
    ("newline", ["status", "r1\n"], {}, ""),
    (
        "newline",
        ["metric", "record", "development-efficiency", "3", "--period", "2026-11\n"],
        {},
        "",
    ),
    ("newline", ["report", "monthly", "--month", "2026-11\n", "-o", "r.md"], {}, ""),
    ("empty period", ["metric", "record", "development-efficiency", "3", "--period", ""], {}, ""),
    ("time out of range", ["status", "r1"], {"OPSCTL_NOW": "0001-01-01T00:00:00+14:00"}, ""),
    ("FIFO in the store", ["status", "r1"], {}, "fifo"),
    (
        "FIFO in the store",
        ["done", "r1", "planning/stakeholders-aligned", "-e", "https://x.io"],
        {},
        "fifo",
    ),
    ("FIFO in the store", ["check", "--all"], {}, "fifo"),
    ("deep nesting", ["status", "deep"], {}, "deep"),
    (
        "lenient schema",
        ["done", "r1", "planning/stakeholders-aligned", "-e", "https://x.io"],
        {},
        "string-schema",
    ),
    (
        "lenient schema",
        ["done", "r1", "planning/stakeholders-aligned", "-e", "https://x.io"],
        {},
        "missing-schema",
    ),
    ("huge number", ["validate"], {}, "huge"),
    ("broken config", ["runs"], {}, "config"),
    ("broken config", ["check", "--all"], {}, "config"),
    ("runs folder is a file", ["sync-check"], {}, "runs-file"),
]


def _prepare(root: Path, damage: str) -> None:
    store = root / ".opsctl"
    if damage == "fifo":
        (store / "runs" / "r1.json").unlink()
        os.mkfifo(store / "runs" / "r1.json")
    elif damage == "deep":
        (store / "runs" / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    elif damage in ("string-schema", "missing-schema"):
        _edit_run(root, damage)
    elif damage == "huge":
        (store / "frameworks" / "big.yaml").write_text("id: big\ntitle: " + "9" * 5000 + "\n")
    elif damage == "config":
        (store / "config.yaml").write_text("people: [\n")
    elif damage == "runs-file":
        shutil.rmtree(store / "runs")
        (store / "runs").write_text("x")


def hostile(base: Path) -> Counter[tuple[str, bool]]:
    template = base / "template"
    template.mkdir(parents=True)
    assert opsctl(["init"], template).returncode == 0
    assert (
        opsctl(["start", "release-management", "--title", "R", "--id", "r1"], template).returncode
        == 0
    )
    results: Counter[tuple[str, bool]] = Counter()
    for number, (kind, args, env, damage) in enumerate(HOSTILE):
        root = base / f"case-{number}"
        shutil.copytree(template, root, symlinks=True)
        _prepare(root, damage)
        before = snapshot(root) if damage != "fifo" else None
        result = opsctl(args, root, **env)
        err = result.stderr.decode("utf-8", "replace")
        handled = (
            result.returncode == 2
            and "Traceback" not in err
            and "internal error" not in err
            and (before is None or snapshot(root) == before)
        )
        results[(kind, handled)] += 1
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--kills", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        kept, total = parallel_writers(base / "parallel", args.writers, args.events)
        print(f"parallel writers ({args.writers} x {args.events}): events kept {kept}/{total}")
        torn, kills = killed_writes(base / "killed", args.kills)
        print(f"killed writes: torn or unverifiable files {torn}/{kills}")
        results = hostile(base / "hostile")
    kinds = sorted({kind for kind, _ in results})
    handled = sum(count for (_, ok), count in results.items() if ok)
    total = sum(results.values())
    print(f"hostile inputs handled (exit 2, no traceback, store unchanged): {handled}/{total}")
    for kind in kinds:
        good, bad = results[(kind, True)], results[(kind, False)]
        print(f"  {kind:<24} {good}/{good + bad}")


if __name__ == "__main__":
    main()
