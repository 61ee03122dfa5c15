"""The JSON store: atomic writes, deterministic output, readable errors, schemas, locking."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock

from opsctl.errors import EXIT_USAGE, StoreError
from opsctl.store import files as store
from opsctl.store.files import atomic_write, dumps, lock_path, locked, read_json, upgrade


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


# --- atomic_write -------------------------------------------------------------------------


def test_atomic_write_creates_file_and_folders_without_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "store" / "deep" / "doc.json"
    atomic_write(target, "hello\n")
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["doc.json"]


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    target = folder / "doc.json"
    for index in range(20):
        atomic_write(target, f"version {index}\n")
    assert target.read_text(encoding="utf-8") == "version 19\n"
    assert [p.name for p in folder.iterdir()] == ["doc.json"]


def test_atomic_write_failure_keeps_old_content_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    atomic_write(target, "original\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "broken \ud800 surrogate")  # cannot be encoded as UTF-8
    assert target.read_text(encoding="utf-8") == "original\n"
    assert _leftovers(tmp_path) == []


def test_atomic_write_writes_utf8_with_unix_newlines(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    atomic_write(target, "Zoë\nline two\n")
    assert target.read_bytes() == "Zoë\nline two\n".encode()


# --- dumps ----------------------------------------------------------------------------------


def test_dumps_sorts_keys_indents_two_spaces_and_ends_with_newline() -> None:
    text = dumps({"b": 1, "a": {"d": [1, 2], "c": None}})
    expected = [
        "{",
        '  "a": {',
        '    "c": null,',
        '    "d": [',
        "      1,",
        "      2",
        "    ]",
        "  },",
        '  "b": 1',
        "}",
    ]
    assert text == "\n".join(expected) + "\n"


def test_dumps_is_independent_of_insertion_order_and_keeps_unicode() -> None:
    first = {"title": "Überblick", "z": 1, "a": 2}
    second = {"a": 2, "z": 1, "title": "Überblick"}
    assert dumps(first) == dumps(second)
    assert "Überblick" in dumps(first)
    assert json.loads(dumps(first)) == first


# --- read_json ------------------------------------------------------------------------------


def test_read_json_returns_the_object(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{"schema": 1, "x": [1]}', encoding="utf-8")
    assert read_json(path) == {"schema": 1, "x": [1]}


def test_read_json_truncated_names_path_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    full = dumps({"schema": 1, "items": {"a": 1, "b": 2}})
    path.write_text(full[: len(full) // 2], encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        read_json(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    place = message[len(str(path)) + 1 :].split(":")
    assert place[0].isdigit()
    assert place[1].isdigit(), message
    assert int(place[0]) >= 2  # the break is past the first line
    assert "not valid JSON" in message
    assert caught.value.exit_code == EXIT_USAGE


def test_read_json_invalid_json_reports_exact_place(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text('{\n  "a": 1,\n  "b": oops\n}\n', encoding="utf-8")
    with pytest.raises(StoreError, match=r":3:8: not valid JSON"):
        read_json(path)


@pytest.mark.parametrize(
    "text",
    [
        '<<<<<<< HEAD\n{"a": 1}\n=======\n{"a": 2}\n>>>>>>> branch\n',
        '{\n  "a": 1,\n<<<<<<< ours\n  "b": 2\n=======\n  "b": 3\n>>>>>>> theirs\n}\n',
    ],
)
def test_read_json_conflict_markers(tmp_path: Path, text: str) -> None:
    path = tmp_path / "run.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        read_json(path)
    assert str(path) in str(caught.value)
    assert "conflict markers" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "found"), [("[1, 2]", "list"), ('"text"', "str"), ("42", "int"), ("null", "NoneType")]
)
def test_read_json_refuses_non_objects(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "run.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError, match=f"expected a JSON object, found {found}") as caught:
        read_json(path)
    assert str(caught.value).startswith(str(path))


def test_read_json_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(StoreError, match="does not exist") as caught:
        read_json(path)
    assert str(path) in str(caught.value)


def test_read_json_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(b'{"a": "\xff\xfe"}')
    with pytest.raises(StoreError, match="cannot read") as caught:
        read_json(path)
    assert str(path) in str(caught.value)


# --- upgrade --------------------------------------------------------------------------------


def test_upgrade_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    with pytest.raises(StoreError) as caught:
        upgrade({"schema": 7}, path, 2, {})
    message = str(caught.value)
    assert str(path) in message
    assert "newer opsctl" in message
    assert "schema 7" in message
    assert "up to 2" in message


def test_upgrade_runs_the_chain_in_order(tmp_path: Path) -> None:
    calls: list[int] = []

    def one_to_two(document: dict) -> dict:
        calls.append(document["schema"])
        renamed = {key: value for key, value in document.items() if key != "old"}
        return {**renamed, "renamed": document["old"]}

    def two_to_three(document: dict) -> dict:
        calls.append(document["schema"])
        return {**document, "extra": True}

    result = upgrade(
        {"schema": 1, "old": "value"}, tmp_path / "x.json", 3, {1: one_to_two, 2: two_to_three}
    )
    assert calls == [1, 2]
    assert result == {"schema": 3, "renamed": "value", "extra": True}


def test_upgrade_single_step_chain(tmp_path: Path) -> None:
    result = upgrade({"schema": 1, "a": 1}, tmp_path / "x.json", 2, {1: lambda d: {**d, "b": 2}})
    assert result == {"schema": 2, "a": 1, "b": 2}


def test_upgrade_current_document_is_untouched(tmp_path: Path) -> None:
    def boom(document: dict) -> dict:
        raise AssertionError("must not run")

    document = {"schema": 2, "a": 1}
    assert upgrade(document, tmp_path / "x.json", 2, {1: boom}) == {"schema": 2, "a": 1}


@pytest.mark.parametrize("schema", [None, 0, -1, "1", 1.0, True])
def test_upgrade_refuses_bad_schema_values(tmp_path: Path, schema: object) -> None:
    document = {} if schema is None else {"schema": schema}
    with pytest.raises(StoreError, match="schema: missing or not a positive integer"):
        upgrade(document, tmp_path / "x.json", 1, {})


# --- locked ---------------------------------------------------------------------------------


_COUNTER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from opsctl.store.files import locked
    path = Path(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        with locked(path):
            value = int(path.read_text())
            time.sleep(0.001)
            path.write_text(str(value + 1))
    """
)


def test_locked_serialises_read_modify_write_across_processes(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    counter.write_text("0")
    processes = [
        subprocess.Popen([sys.executable, "-c", _COUNTER_SCRIPT, str(counter), "40"])
        for _ in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=60) == 0
    assert counter.read_text() == "160"


def test_locked_times_out_with_a_message_naming_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.json"
    monkeypatch.setattr(store, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = FileLock(lock_path(path))
    with holder, pytest.raises(StoreError) as caught, locked(path):
        pytest.fail("the lock was taken twice")
    message = str(caught.value)
    assert str(path) in message
    assert str(lock_path(path)) in message
    assert "still locked" in message


def test_locked_releases_after_an_error(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    with pytest.raises(RuntimeError), locked(path):
        raise RuntimeError("inside")
    probe = FileLock(lock_path(path), timeout=0)
    with probe:  # would raise Timeout if the lock were still held
        pass


def test_lock_path_is_next_to_the_document(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "a.json") == tmp_path / "a.json.lock"
