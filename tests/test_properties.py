"""Property-based tests (issue 15): damaged store files and random arguments.

Hypothesis mutates one store file of a real workspace at a time, or builds
command lines from the real commands and option names with random values,
then runs opsctl in-process and checks three properties of every call:

1. it never exits 70 (an internal error): the exit code is 0, 1 or 2;
2. it never prints a traceback (nor ``internal error``) on stdout or stderr;
3. a refused command (exit 1 or 2) leaves every file under ``.opsctl/``
   byte-identical, except the derived ``cache/`` folder and lock files, and
   except ``advance``, whose refusal is recorded in the run's history by
   design: after a refused ``advance`` the other files are unchanged and
   the run file is unchanged or still parses as JSON.

The workspace is built once per session (two runs with items done, skipped
and blocked, a workspace framework, a team member, KPI readings, a written
report) and copied into a fresh folder for every example.

Budget and seed: every test uses ``derandomize=True``, so the seed is a hash
of the test itself and CI runs the same examples on every run; the sample
changes only with the test or the Hypothesis version. There is no example
database, so no failure shows up once and never again; a failure
prints the drawn mutation or command lines, which reproduce it by hand.
``deadline=None`` because one call may take far longer on a loaded CI
machine. The budget is ``STORE_EXAMPLES`` (100 damaged stores, one to three
commands each) and ``ARGUMENT_EXAMPLES`` (140 draws of one or two command
lines): about 15 s of CPU, so about 17 s on an idle 2-core machine and
30 s while other test runs share it, inside the module's 40 s share.
``OPSCTL_PROPERTY_SCALE=10`` runs ten times as many locally (about five
minutes). ``OPSCTL_NOW`` is fixed so the examples do not depend on the day.

Non-UTF-8 arguments (surrogate escapes) only exist in real processes and
are covered by test_hostile_input.py; here every text is valid Unicode.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import two_phase_framework
from opsctl.cli import state
from opsctl.cli.main import app, main

SCALE = max(1, int(os.environ.get("OPSCTL_PROPERTY_SCALE", "1")))
STORE_EXAMPLES = 100 * SCALE
ARGUMENT_EXAMPLES = 140 * SCALE
NOW = "2026-11-20T12:00:00Z"
USER = "pm@example.com"
DIRECTOR = "dir@example.com"

PROPERTIES = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# --- calling opsctl ---------------------------------------------------------


@dataclass
class Call:
    """One in-process call of opsctl's entry point."""

    args: list[str]
    code: int
    out: str
    err: str


def call(args: list[str]) -> Call:
    """Run ``opsctl ARGS`` through ``main`` (its real error handling), capturing output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    state.reset()
    return Call(args, code, out.getvalue(), err.getvalue())


def snapshot(store: Path) -> dict[str, bytes]:
    """Every file of a store that a refused command must leave alone."""
    return {
        path.relative_to(store).as_posix(): path.read_bytes()
        for path in sorted(store.rglob("*"))
        if path.is_file()
        and path.relative_to(store).parts[0] != "cache"
        and not path.name.endswith(".lock")
    }


def parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def check_properties(root: Path, args: list[str]) -> Call:
    """Call opsctl in the workspace at ``root`` and assert the three properties."""
    store = root / ".opsctl"
    args = [arg.replace(EXAMPLE, str(root)) for arg in args]
    before = snapshot(store)
    result = call(["--workspace", str(root), *args])
    shown = f"opsctl {args!r} exited {result.code}\nstdout: {result.out}\nstderr: {result.err}"
    assert result.code in (0, 1, 2), shown
    for stream in (result.out, result.err):
        assert "Traceback" not in stream, shown
        assert "internal error" not in stream, shown
    if result.code in (1, 2):
        after = snapshot(store)
        if args and args[0] == "advance":
            changed = {
                name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
            }
            run_files = {f"runs/{args[1]}.json"} if len(args) > 1 else set()
            assert changed <= run_files, (shown, sorted(changed))
            for name in changed:
                assert name in after and parses(after[name]), (shown, name)
        else:
            changed = sorted(
                name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
            )
            assert not changed, (shown, changed)
    return result


# --- the workspace every example starts from --------------------------------


@dataclass(repr=False)
class Template:
    """A workspace built once, and what the strategies need to know about it."""

    root: Path
    files: dict[str, bytes]
    values: st.SearchStrategy[Any]
    """Random JSON values, among them strings and keys of this store out of place."""

    def __repr__(self) -> str:
        return f"Template({self.root})"

    @contextlib.contextmanager
    def copy(self, base: Path) -> Iterator[Path]:
        """A fresh copy of the workspace under ``base``, removed afterwards."""
        folder = Path(tempfile.mkdtemp(dir=base))
        try:
            shutil.copytree(self.root / ".opsctl", folder / ".opsctl")
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


MUTABLE_SUFFIXES = (".json", ".yaml")


def _collect(value: Any, strings: set[str], keys: set[str]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            keys.add(str(key))
            _collect(child, strings, keys)
    elif isinstance(value, list):
        for child in value:
            _collect(child, strings, keys)
    elif isinstance(value, str) and len(value) < 200:
        strings.add(value)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("property-template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root))
        patch.setenv("OPSCTL_USER", USER)
        patch.setenv("OPSCTL_NOW", NOW)
        for variable in ("OPSCTL_WORKSPACE", "GITHUB_ACTOR", "GITLAB_USER_EMAIL"):
            patch.delenv(variable, raising=False)
        workspace = root / "ws"
        steps = [
            ["init", str(workspace), "--team", "Checkout squad"],
            ["start", "release-management", "--title", "Release 2.4", "--id", "r1"],
            ["done", "r1", "planning/timeline-published", "-e", "https://x.io/t", "-m", "ok"],
            ["skip", "r1", "planning/success-criteria-defined", "-r", "later"],
            ["start", "release-management", "-t", "Hotfix", "--id", "r2", "--due", "2026-11-01"],
            ["block", "r2", "planning/stakeholders-aligned", "--reason", "waiting"],
            ["team", "add", DIRECTOR, "--role", "product-director", "--name", "Dir"],
            ["start", "signed", "--title", "Signed", "--id", "s1"],
            ["done", "s1", "plan/scope", "-e", "https://x.io/s"],
            ["done", "s1", "plan/risks", "-e", "https://x.io/r"],
            ["metric", "baseline", "development-efficiency", "21", "--period", "2026-01"],
            ["metric", "record", "development-efficiency", "31.5", "--period", "2026-10"],
            ["report", "monthly", "--month", "2026-10", "--output", str(root / "report.md")],
        ]
        for number, args in enumerate(steps):
            if number == 1:
                (workspace / ".opsctl" / "frameworks" / "signed.yaml").write_text(
                    two_phase_framework(), encoding="utf-8"
                )
            prefix = [] if number == 0 else ["--workspace", str(workspace)]
            # The overdue run is started before its due date: a past --due is refused.
            patch.setenv("OPSCTL_NOW", "2026-10-25T12:00:00Z" if "--due" in args else NOW)
            result = call([*prefix, *args])
            assert result.code == 0, (args, result.out, result.err)
    store = workspace / ".opsctl"
    files = {
        name: data for name, data in snapshot(store).items() if name.endswith(MUTABLE_SUFFIXES)
    }
    strings: set[str] = set()
    keys: set[str] = set()
    for name, data in files.items():
        loaded = yaml.safe_load(data) if name.endswith(".yaml") else json.loads(data)
        _collect(loaded, strings, keys)
    return Template(workspace, files, json_values(sorted(strings), sorted(keys)))


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSCTL_NOW", NOW)


def test_the_template_has_every_kind_of_store_file(template: Template) -> None:
    names = set(template.files)
    assert {"runs/r1.json", "runs/r2.json", "runs/s1.json", "metrics.json"} <= names
    assert {"config.yaml", "reviews.json", "frameworks/signed.yaml"} <= names
    assert any(name.startswith("definitions/") for name in names)


# --- store mutations ---------------------------------------------------------


class Raw:
    """Text written into a file as is: numbers and nesting no JSON encoder produces."""

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label

    def __repr__(self) -> str:
        return f"Raw({self.label})"


RAW_VALUES = [
    Raw("9" * 5000, "5000-digit int"),
    Raw("-" + "9" * 5000, "-5000-digit int"),
    Raw("1" + "0" * 400, "401-digit int"),
    Raw("1e999", "1e999"),
    Raw("-1e999", "-1e999"),
    Raw("NaN", "NaN"),
    Raw("Infinity", "Infinity"),
    Raw("[" * 100_000 + "]" * 100_000, "list nested 100000 deep"),
]

TRICKY_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x9F)
    | st.sampled_from("é☃\u202e\u200b\ufeff\u2028\u0085\U0001f600"),
    max_size=12,
)


SCHEMA_VALUES = [0, 1, 2, 3, 99, -1, "2", None, 2.0, True, [2], 10**30, RAW_VALUES[0]]


def json_values(strings: list[str], keys: list[str]) -> st.SearchStrategy[Any]:
    """Random JSON values: scalars of every kind, store strings out of place, nesting."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-3, max_value=10),
        st.integers(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(),
        st.sampled_from(strings),
        TRICKY_TEXT,
        st.text(max_size=20),
        st.sampled_from(RAW_VALUES),
    )
    key_text = st.sampled_from(keys) | st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(key_text, children, max_size=4)
        ),
        max_leaves=8,
    )


@dataclass(frozen=True)
class Mutation:
    """One change to one store file; applied to the file's bytes."""

    target: str
    kind: str
    offset: int = 0
    data: bytes = b""
    path: tuple[Any, ...] = ()
    value: Any = None

    def perform(self, store: Path, original: bytes) -> None:
        """Make the change to the target file under ``store``."""
        target = store / self.target
        if self.kind == "remove":
            target.unlink()
        elif self.kind == "rename":
            target.rename(target.with_name(self.value))
        else:
            target.write_bytes(self.apply(original))

    def apply(self, original: bytes) -> bytes:
        """The file's bytes after the change."""
        if self.kind == "truncate":
            return original[: self.offset]
        if self.kind == "flip":
            flipped = bytearray(original)
            for position, mask in zip(self.path, self.data, strict=True):
                flipped[position] ^= mask
            return bytes(flipped)
        if self.kind == "insert":
            return original[: self.offset] + self.data + original[self.offset :]
        if self.kind == "cut":
            return original[: self.offset] + original[self.offset + len(self.data) :]
        return self._structured(original)

    def _structured(self, original: bytes) -> bytes:
        is_yaml = self.target.endswith(".yaml")
        document = yaml.safe_load(original) if is_yaml else json.loads(original)
        if self.kind == "replace":
            document = _set(document, self.path, self.value)
        elif self.kind == "delete":
            del _get(document, self.path[:-1])[self.path[-1]]
        elif self.kind == "schema":
            document["schema"] = self.value
        return _dump(document, is_yaml)


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(document, path[:-1])[path[-1]] = value
    return document


def _dump(document: Any, is_yaml: bool) -> bytes:
    raws: dict[str, str] = {}

    def tokens(value: Any) -> Any:
        if isinstance(value, Raw):
            token = f"RAWTOKEN{len(raws)}X"
            raws[token] = value.text
            return token
        if isinstance(value, dict):
            return {key: tokens(child) for key, child in value.items()}
        if isinstance(value, list):
            return [tokens(child) for child in value]
        return value

    plain = tokens(document)
    if is_yaml:
        text = yaml.safe_dump(plain, allow_unicode=True, sort_keys=False)
    else:
        text = json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    for token, raw in raws.items():
        text = text.replace(f'"{token}"', raw).replace(token, raw)
    return text.encode("utf-8", "surrogatepass")


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in a document (the root included)."""
    yield prefix
    if isinstance(document, dict):
        for key, child in document.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(document, list):
        for index, child in enumerate(document):
            yield from _paths(child, (*prefix, index))


KINDS = ["truncate", "flip", "insert", "cut", "replace", "delete", "schema", "remove", "rename"]
"""Byte-level changes, changes to the parsed document, and the file removed or renamed."""


@st.composite
def mutations(draw: st.DrawFn, template: Template) -> Mutation:
    """A random change to one store file of the template."""
    target = draw(st.sampled_from(sorted(template.files)))
    original = template.files[target]
    size = len(original)
    kind = draw(st.sampled_from(KINDS))
    offsets = st.integers(min_value=0, max_value=size - 1)
    if kind == "remove":
        return Mutation(target, kind)
    if kind == "rename":
        name = Path(target).name
        others = ["r9.json", name.upper(), f"{name}~", f".{name}", name.replace(".", "-")]
        return Mutation(target, kind, value=draw(st.sampled_from(others)))
    if kind == "truncate":
        return Mutation(target, kind, offset=draw(offsets))
    if kind == "flip":
        positions = draw(st.lists(offsets, min_size=1, max_size=4, unique=True))
        masks = draw(st.binary(min_size=len(positions), max_size=len(positions)))
        masks = bytes(mask or 0x80 for mask in masks)
        return Mutation(target, kind, path=tuple(positions), data=masks)
    if kind == "insert":
        data = draw(
            st.sampled_from(
                [b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r", b"\n", b'"', b"{", b"\\", b"\xc3"]
            )
            | st.binary(min_size=1, max_size=8)
        )
        return Mutation(target, kind, offset=draw(offsets), data=data)
    if kind == "cut":
        offset = draw(offsets)
        length = draw(st.integers(min_value=1, max_value=min(64, size - offset)))
        return Mutation(target, kind, offset=offset, data=original[offset : offset + length])
    is_yaml = target.endswith(".yaml")
    document = yaml.safe_load(original) if is_yaml else json.loads(original)
    paths = list(_paths(document))
    if kind == "delete":
        keyed = [path for path in paths if path and isinstance(_get(document, path[:-1]), dict)]
        return Mutation(target, kind, path=draw(st.sampled_from(keyed)))
    if kind == "schema" and isinstance(document, dict):
        value = draw(st.sampled_from(SCHEMA_VALUES) | template.values)
        return Mutation(target, kind, value=value)
    # Deepest first, so that shrinking heads for one field rather than the whole document.
    path = draw(st.sampled_from(sorted(paths, key=len, reverse=True)))
    return Mutation(target, "replace", path=path, value=draw(template.values))


ITEM = "planning/stakeholders-aligned"
STORE_COMMANDS = [
    ["runs"],
    ["runs", "--format", "json"],
    ["status", "r1"],
    ["status", "s1", "--all", "--format", "json"],
    ["log", "r1"],
    ["check", "--all"],
    ["check", "r1", "--through", "planning", "--format", "junit"],
    ["sync-check"],
    ["audit", "verify"],
    ["waivers"],
    ["metric", "list"],
    ["metric", "show", "development-efficiency", "--format", "json"],
    ["review", "due"],
    ["report", "quarterly", "--quarter", "2026-Q4"],
    ["team", "list"],
    ["frameworks", "list"],
    ["validate"],
    ["done", "r1", ITEM, "-e", "https://x.io/a"],
    ["done", "r1", "planning/timeline-published", "-e", "https://x.io/b"],
    ["skip", "r1", ITEM, "--reason", "x"],
    ["block", "r1", ITEM, "--reason", "x"],
    ["reopen", "r1", "planning/success-criteria-defined"],
    ["advance", "r1"],
    ["advance", "s1"],
    ["start", "release-management", "--title", "New", "--id", "r3"],
    ["metric", "record", "development-efficiency", "30", "--period", "2026-11"],
    ["team", "add", "q@example.com", "--role", "qa"],
    ["upgrade", "r1"],
    ["link", "r1", "--ref", "v2.4"],
]


@settings(PROPERTIES, max_examples=STORE_EXAMPLES)
@given(data=st.data())
def test_a_damaged_store_never_crashes_and_refusals_change_nothing(
    template: Template, tmp_path: Path, fixed_time: None, data: st.DataObject
) -> None:
    mutation = data.draw(mutations(template), label="mutation")
    commands = data.draw(
        st.lists(st.sampled_from(STORE_COMMANDS), min_size=1, max_size=3), label="commands"
    )
    with template.copy(tmp_path) as root:
        mutation.perform(root / ".opsctl", template.files[mutation.target])
        for args in commands:
            check_properties(root, args)


# --- argument mutations ------------------------------------------------------


def _option_names() -> list[str]:
    """Every option name of every command, except those that write outside the workspace."""
    unsafe = {"--output", "-o", "--run-checks", "--workspace", "-w", "--git"}
    names: set[str] = set()
    pending = [typer.main.get_command(app)]
    while pending:
        command = pending.pop()
        pending.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            names.update(name for name in param.opts if name.startswith("-"))
    return sorted(names - unsafe)


OPTIONS = _option_names()


text = st.text(max_size=30) | TRICKY_TEXT


def mostly(plausible: list[str], *unusual: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Plausible values three times in four (so commands get past their first check)."""
    usual = st.sampled_from(plausible)
    return st.one_of(usual, usual, usual, st.one_of(*unusual, text))


FREE_COMMANDS = [
    "runs", "status", "done", "skip", "block", "reopen", "approve", "revoke", "link", "check",
    "waivers", "upgrade", "log", "sync-check", "schema", "validate", "start", "metric record",
    "metric show", "team add", "audit verify", "report monthly",
]  # fmt: skip
"""Commands given random tokens (real option names and random values) in any order."""

run_ids = mostly(
    ["r1", "r2", "s1", "r3"],
    st.sampled_from(["nope", "R1", "r1\n", "-r1", "r" * 65, "r1.json", "../r1", ""]),
    st.from_regex(r"[a-z0-9-]{1,70}", fullmatch=True),
)
items = mostly(
    [ITEM, "planning/timeline-published", "planning/success-criteria-defined", "plan/scope"],
    st.sampled_from(
        [
            "coordination/scope-frozen",
            "stakeholders-aligned",
            "ship/deploy",
            "planning",
            "planning/",
            "/stakeholders-aligned",
            "planning/nope",
            "plan/scope/x",
        ]
    ),
)
phases = mostly(["planning", "coordination", "plan", "ship"], st.sampled_from(["innovation", "x"]))
frameworks = mostly(
    ["release-management", "signed", "feature-development"], st.sampled_from(["nope", "Signed"])
)
metrics = mostly(
    ["development-efficiency", "delivery-success", "defect-escape-rate"],
    st.sampled_from(["nope", "development-efficiency\n"]),
)
roles = mostly(
    ["product-director", "product-manager", "operations", "qa", "development"],
    st.sampled_from(["nope", "Product-Director"]),
)
formats = mostly(["text", "json", "junit", "github", "markdown"], st.sampled_from(["yaml", ""]))
periods = mostly(
    ["2026-11", "2026-10", "2026-01", "2025-12", "1900-01"],
    st.sampled_from(["2026-13", "2026-00", "0000-01", "1899-12", "9999-12", "2026-1", ""]),
    st.from_regex(r"-?[0-9]{1,6}-[0-9]{1,3}", fullmatch=True),
)
quarters = mostly(
    ["2026-Q4", "2026-Q1", "1900-Q1"],
    st.sampled_from(["2026-Q0", "2026-Q5", "9999-Q4", "Q4", "2026-q4"]),
    st.from_regex(r"-?[0-9]{1,6}-Q[0-9]{1,2}", fullmatch=True),
)
dates = mostly(
    ["2026-12-15", "2026-11-20", "2026-11-19", "2027-01-31"],
    st.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "2026-12-15T00:00"]),
    st.dates().map(lambda day: day.isoformat()),
)
evidence = mostly(
    ["https://x.io/a", "https://wiki.example.com/rel-2-4?x=1#y"],
    st.sampled_from(["http://", "ftp://x.io", "https://", "x", ".", "/", "..", ".opsctl"]),
    st.from_regex(r"https?://[a-z.]{1,12}/\S{0,20}", fullmatch=True),
)
numbers = mostly(
    ["30", "31.5", "0", "-2.5", "1e3"],
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["nan", "inf", "-0", "1e309", "1_000", "0x10", "9" * 5000, " 3", "3,5"]),
)
emails = mostly([USER, DIRECTOR, "q@example.com"], st.sampled_from(["", "a@b", "a b@c"]))
refs = mostly(["v2.4", "refs/tags/v2.4", "main"], st.sampled_from(["", "refs/heads/", "-x"]))


def opt(
    names: list[str], values: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[list[str]]:
    """An optional flag: absent, or one of its names (and a value)."""
    flag = st.sampled_from(names)
    given_flag = st.tuples(flag).map(list) if values is None else st.tuples(flag, values).map(list)
    return st.just([]) | given_flag


def flag(names: list[str], values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A required flag: one of its names and a value."""
    return st.tuples(st.sampled_from(names), values).map(list)


def command(*parts: str | st.SearchStrategy[Any]) -> st.SearchStrategy[list[str]]:
    """A command line: fixed words, values and optional flags, in order."""

    def flatten(drawn: tuple[Any, ...]) -> list[str]:
        return [word for part in drawn for word in (part if isinstance(part, list) else [part])]

    return st.tuples(*(st.just(part) if isinstance(part, str) else part for part in parts)).map(
        flatten
    )


EXAMPLE = "{example}"
"""Stands for the example's folder in a drawn argument (see :func:`check_properties`)."""

OUTPUTS = opt(
    ["--output", "-o"],
    st.sampled_from(
        [f"{EXAMPLE}/out.txt", f"{EXAMPLE}/missing/out.txt", EXAMPLE, f"{EXAMPLE}/.opsctl"]
    ),
)
"""``--output`` to a file, into a missing folder, to a folder, or to the store itself."""


def command_lines() -> st.SearchStrategy[list[str]]:
    """Command lines built from the real commands, with random values and flags."""
    fmt = opt(["--format", "-f"], formats)
    structured = [
        command(
            "start",
            frameworks,
            flag(["--title", "-t"], text),
            opt(["--id"], run_ids),
            opt(["--due"], dates),
            opt(["--ref"], refs),
        ),
        command("runs", fmt),
        command("status", run_ids, opt(["--all", "-a"]), fmt),
        command("log", run_ids, opt(["--limit", "-n"], numbers), fmt),
        command(
            "done",
            run_ids,
            items,
            flag(["--evidence", "-e"], evidence),
            opt(["--note", "-m"], text),
        ),
        command("skip", run_ids, items, flag(["--reason", "-r"], text), opt(["--expires"], dates)),
        command("block", run_ids, items, flag(["--reason", "-r"], text)),
        command("reopen", run_ids, items),
        command("advance", run_ids),
        command(
            "approve",
            run_ids,
            opt(["--phase", "-p"], phases),
            opt(["--role"], roles),
            opt(["--comment", "-m"], text),
        ),
        command("revoke", run_ids, flag(["--phase", "-p"], phases), flag(["--reason", "-r"], text)),
        command("link", run_ids, flag(["--ref"], refs)),
        command("upgrade", run_ids),
        command(
            "check",
            st.just([]) | run_ids.map(lambda run: [run]),
            opt(["--all"]),
            opt(["--ref"], refs),
            opt(["--allow-unlinked"]),
            opt(["--through"], phases),
            opt(["--complete"]),
            opt(["--phase"], phases),
            fmt,
            OUTPUTS,
        ),
        command("waivers", st.just([]) | run_ids.map(lambda run: [run]), fmt),
        command("frameworks", "show", frameworks, fmt),
        command("metric", "list", fmt),
        command("metric", "show", metrics, fmt),
        command(
            "metric",
            st.sampled_from(["record", "baseline"]),
            metrics,
            numbers,
            opt(["--period", "-p"], periods),
            opt(["--note", "-m"], text),
        ),
        command("report", "monthly", opt(["--month", "-m"], periods), OUTPUTS, opt(["--stamp"])),
        command("report", "quarterly", opt(["--quarter", "-q"], quarters), OUTPUTS),
        command("review", "due", fmt),
        command(
            "team",
            "add",
            emails,
            flag(["--role", "-r"], roles),
            opt(["--role", "-r"], roles),
            opt(["--name"], text),
        ),
        command("team", "list", fmt),
        command("audit", "verify", st.just([]) | run_ids.map(lambda run: [run]), fmt),
    ]
    words = st.sampled_from(FREE_COMMANDS).map(str.split)
    token = st.sampled_from(OPTIONS) | run_ids | items | periods | dates | numbers | text
    free = st.tuples(words, st.lists(token, max_size=6)).map(lambda drawn: drawn[0] + drawn[1])
    return st.one_of(*structured, free)


COMMAND_LINES = command_lines()


@settings(PROPERTIES, max_examples=ARGUMENT_EXAMPLES)
@given(data=st.data())
def test_random_arguments_never_crash_and_refusals_change_nothing(
    template: Template,
    tmp_path: Path,
    fixed_time: None,
    monkeypatch: pytest.MonkeyPatch,
    data: st.DataObject,
) -> None:
    user = data.draw(st.sampled_from([USER, DIRECTOR]), label="OPSCTL_USER")
    monkeypatch.setenv("OPSCTL_USER", user)
    lines = data.draw(st.lists(COMMAND_LINES, min_size=1, max_size=2), label="command lines")
    with template.copy(tmp_path) as root:
        for args in lines:
            check_properties(root, args)
