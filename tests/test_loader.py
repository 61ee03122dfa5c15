"""The framework loader: every mistake is reported as ``PATH:LINE:COL: field: message``.

Each file of ``tests/fixtures/invalid`` is the minimal valid framework with one
mistake (``multiple_*`` have several). The expected diagnostics are written
out in full below; the path prefix is the fixture's path relative to the
repository root, which the tests run from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from opsctl.definitions.loader import MAX_FILE_BYTES, load_framework, locate
from opsctl.definitions.model import BUILTIN_ROLES, Framework, reference_errors
from opsctl.errors import DefinitionError, Diagnostic, format_loc

REPO = Path(__file__).resolve().parents[1]
INVALID = Path("tests/fixtures/invalid")
VALID = Path("tests/fixtures/valid")
KNOWN = "(known: development, operations, product-director, product-manager, qa)"
SLUG = "must be a lowercase slug such as 'release-planning'"

ITEM_FIELDS = (
    "(allowed: id, title, help, owner, required, evidence, check, enforce_owner, when, satisfies)"
)
TOP_FIELDS = (
    "(allowed: id, title, area, summary, level, audience, review, approval, labels, phases, "
    "metrics, satisfies)"
)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixture paths are relative, as a user would type them."""
    monkeypatch.chdir(REPO)


# File name -> the diagnostics after the path, i.e. ":LINE:COL: field: message".
EXPECTED: dict[str, list[str]] = {
    # --- YAML that cannot be read at all -------------------------------------------------
    "tab_indent.yaml": [
        ":7:1: found a tab character that violates indentation (while scanning a plain scalar)"
    ],
    "syntax_unclosed_bracket.yaml": [
        ":6:7: did not find expected ',' or ']' (while parsing a flow sequence)"
    ],
    "syntax_bad_indent.yaml": [
        ":8:4: did not find expected '-' indicator (while parsing a block collection)"
    ],
    "duplicate_key.yaml": [":5:1: duplicate key 'title' (first defined on line 2)"],
    "duplicate_key_nested.yaml": [":13:9: duplicate key 'owner' (first defined on line 12)"],
    "python_tag.yaml": [":4:10: tag not allowed in safe YAML: !!python/object/apply:os.system"],
    "custom_tag.yaml": [":11:15: tag not allowed in safe YAML: !include"],
    "alias_bomb.yaml": [":2:1: aliases expand this document past 200000 nodes"],
    "undefined_alias.yaml": [":12:16: found undefined alias '*owner'"],
    "multiple_documents.yaml": [
        ":13:1: expected a single document in the stream, but found another document"
    ],
    "syntax_unclosed_quote.yaml": [
        ":7:12: found unexpected end of stream (while scanning a quoted scalar started here)"
    ],
    # --- a document that is not a framework mapping --------------------------------------
    "empty.yaml": [":1:1: file is empty; expected a framework mapping"],
    "comments_only.yaml": [":1:1: file is empty; expected a framework mapping"],
    "top_level_list.yaml": [":1:1: expected a mapping of framework fields, found a list"],
    "top_level_scalar.yaml": [":1:1: expected a mapping of framework fields, found text"],
    # --- shape and types (Pydantic) ------------------------------------------------------
    "unknown_key.yaml": [":13:9: phases[0].items[0].priority: unknown field " + ITEM_FIELDS],
    "unknown_top_level_key.yaml": [":5:1: owner: unknown field " + TOP_FIELDS],
    "command_check_unknown_key.yaml": [":16:11: phases[0].items[0].check.shell: unknown field"],
    "missing_title.yaml": [":1:1: title: required field is missing"],
    "missing_phases.yaml": [":1:1: phases: required field is missing"],
    "phase_not_mapping.yaml": [":6:5: phases[0]: expected a mapping of phase fields (got 'plan')"],
    "item_not_mapping.yaml": [
        ":9:9: phases[0].items[0]: expected a mapping of item fields (got 'scope-agreed')"
    ],
    "non_string_key.yaml": [":13:9: phases[0].items[0]: keys should be strings (got 1)"],
    "item_without_owner.yaml": [":9:9: phases[0].items[0].owner: required field is missing"],
    "metric_missing_unit.yaml": [":14:5: metrics[0].unit: required field is missing"],
    "file_check_missing_path.yaml": [
        ":14:11: phases[0].items[0].check.path: required field is missing"
    ],
    "wrong_type_phases.yaml": [":5:9: phases: input should be a valid list (got 'plan')"],
    "satisfies_not_list.yaml": [
        ":5:12: satisfies: input should be a valid list (got 'Release Planning')"
    ],
    "gate_items_not_list.yaml": [
        ":14:14: phases[0].gate.items: input should be a valid list (got 'scope-agreed')"
    ],
    "command_check_shell_string.yaml": [
        ":15:17: phases[0].items[0].check.argv: input should be a valid list (got 'make test')"
    ],
    "empty_phases.yaml": [":5:9: phases: must not be empty"],
    "empty_items.yaml": [":8:12: phases[0].items: must not be empty"],
    "command_check_empty_argv.yaml": [":15:17: phases[0].items[0].check.argv: must not be empty"],
    "empty_title.yaml": [":2:8: title: string should have at least 1 character (got '')"],
    "integer_id.yaml": [":1:5: id: input should be a valid string (got 42)"],
    "null_title.yaml": [":2:7: title: input should be a valid string (got null)"],
    "yaml11_boolean_id.yaml": [
        ":9:13: phases[0].items[0].id: input should be a valid string "
        "(got false: YAML reads an unquoted no as a boolean; write 'no' in quotes)"
    ],
    "date_title.yaml": [
        ":2:8: title: input should be a valid string (got 2024-01-31: quote dates meant as text)"
    ],
    "bad_slug.yaml": [f":1:5: id: {SLUG} (got 'Minimal_Framework')"],
    "slug_too_long.yaml": [
        ":6:9: phases[0].id: string should have at most 64 characters (got '"
        + "-".join(["plan"] * 14)
        + "')"
    ],
    "bad_evidence_kind.yaml": [
        ":13:19: phases[0].items[0].evidence: "
        "input should be 'none', 'link', 'file' or 'text' (got 'screenshot')"
    ],
    "required_not_bool.yaml": [
        ":13:19: phases[0].items[0].required: "
        "input should be a valid boolean, unable to interpret input (got 'sometimes')"
    ],
    "bad_cadence.yaml": [
        ":6:14: review[0].cadence: input should be 'monthly' or 'quarterly' (got 'weekly')"
    ],
    "bad_direction.yaml": [
        ":17:16: metrics[0].direction: input should be 'higher' or 'lower' (got 'down')"
    ],
    "negative_target.yaml": [
        ":18:29: metrics[0].target_improvement_pct: input should be greater than 0 (got -5)"
    ],
    "target_too_large.yaml": [
        ":18:29: metrics[0].target_improvement_pct: "
        "input should be less than or equal to 1000 (got 5000)"
    ],
    "command_check_bad_timeout.yaml": [
        ":16:20: phases[0].items[0].check.timeout: input should be greater than 0 (got 0)"
    ],
    # A check is a union tagged by `kind`: errors name the member's fields, not the tag.
    "check_missing_kind.yaml": [
        ":14:11: phases[0].items[0].check.kind: required field is missing "
        "(one of 'file', 'command', 'metric')"
    ],
    "bad_check_kind.yaml": [
        ":14:17: phases[0].items[0].check.kind: "
        "input should be 'file', 'command' or 'metric' (got 'http')"
    ],
    "metric_check_bad_metric_slug.yaml": [
        f":15:19: phases[0].items[0].check.metric: {SLUG} (got 'Lead Time')"
    ],
    "metric_check_bad_threshold.yaml": [
        ":16:22: phases[0].items[0].check.threshold: "
        "input should be a valid number, unable to parse string as a number (got 'high')"
    ],
    "multiple_errors.yaml": [
        f":1:5: id: {SLUG} (got 'Minimal')",
        ":6:5: phases[0].title: required field is missing",
        ":12:19: phases[0].items[0].evidence: "
        "input should be 'none', 'link', 'file' or 'text' (got 'photo')",
        ":13:9: phases[0].items[0].colour: unknown field " + ITEM_FIELDS,
    ],
    # --- references across parts (reference_errors) --------------------------------------
    "duplicate_phase_id.yaml": [":13:9: phases[1].id: duplicate phase id 'plan'"],
    "duplicate_item_id.yaml": [":13:13: phases[0].items[1].id: duplicate item id 'scope-agreed'"],
    "duplicate_metric_id.yaml": [":19:9: metrics[1].id: duplicate metric id 'lead-time'"],
    "duplicate_review_cadence.yaml": [
        ":8:14: review[1].cadence: duplicate review cadence 'monthly'"
    ],
    "dangling_gate_item.yaml": [
        ":14:29: phases[0].gate.items[1]: gate names unknown item 'scope-signed' "
        "(items of phase 'plan': scope-agreed)"
    ],
    "unknown_owner_role.yaml": [f":12:16: phases[0].items[0].owner: unknown role 'legal' {KNOWN}"],
    "unknown_approver_role.yaml": [
        f":14:31: phases[0].gate.approvals[1]: unknown role 'ceo' {KNOWN}"
    ],
    "unknown_audience_role.yaml": [f":5:16: audience[1]: unknown role 'marketing' {KNOWN}"],
    "unknown_framework_approval.yaml": [f":5:11: approval: unknown role 'board' {KNOWN}"],
    "lower_metric_target_100.yaml": [
        ":18:29: metrics[0].target_improvement_pct: "
        "a lower-is-better metric cannot improve by 100% or more (got 100)"
    ],
    "multiple_reference_errors.yaml": [
        ":13:13: phases[0].items[1].id: duplicate item id 'scope-agreed'",
        ":18:15: phases[0].gate.items[0]: gate names unknown item 'missing-item' "
        "(items of phase 'plan': scope-agreed)",
        f":12:16: phases[0].items[0].owner: unknown role 'legal' {KNOWN}",
        f":19:19: phases[0].gate.approvals[0]: unknown role 'ceo' {KNOWN}",
    ],
}


def _cases() -> list[object]:
    return [pytest.param(name, lines, id=name) for name, lines in EXPECTED.items()]


def _diagnostics(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_framework(path)
    return [str(diagnostic) for diagnostic in caught.value.diagnostics]


@pytest.mark.parametrize(("name", "suffixes"), _cases())
def test_invalid_fixture_reports_exactly(name: str, suffixes: list[str]) -> None:
    path = INVALID / name
    assert _diagnostics(path) == [f"{path}{suffix}" for suffix in suffixes]


def test_every_invalid_fixture_has_an_expectation() -> None:
    on_disk = {path.name for path in (REPO / INVALID).iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 32


def test_error_message_is_the_diagnostics_one_per_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_framework(INVALID / "multiple_errors.yaml")
    lines = str(caught.value).splitlines()
    assert lines == [str(diagnostic) for diagnostic in caught.value.diagnostics]
    assert len(lines) >= 3
    assert all(line.startswith(f"{INVALID / 'multiple_errors.yaml'}:") for line in lines)
    assert caught.value.exit_code == 2


def test_diagnostics_are_structured() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_framework(INVALID / "unknown_owner_role.yaml")
    assert caught.value.diagnostics == [
        Diagnostic(
            str(INVALID / "unknown_owner_role.yaml"),
            12,
            16,
            f"unknown role 'legal' {KNOWN}",
            "phases[0].items[0].owner",
        )
    ]


def test_alias_bomb_fails_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(DefinitionError, match="aliases expand this document"):
        load_framework(INVALID / "alias_bomb.yaml")
    assert time.perf_counter() - started < 1.0


# --- files generated at test time -------------------------------------------------------


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    assert _diagnostics(path) == [
        f"{path}:1:8: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


def test_non_utf8_byte_is_placed_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: cafe\ntitle: Caf\xe9 ops\n")
    assert _diagnostics(path) == [
        f"{path}:2:11: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert _diagnostics(tmp_path) == [f"{tmp_path}: is a directory, not a file"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert _diagnostics(path) == [f"{path}: cannot read: No such file or directory"]


def test_ten_megabyte_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    assert _diagnostics(path) == [
        f"{path}: file is 10.0 MiB; framework files are limited to 8.0 MiB"
    ]


def test_size_limit_is_inclusive(tmp_path: Path) -> None:
    line = b"# " + b"x" * 61 + b"\n"
    body = line * (MAX_FILE_BYTES // len(line))
    at_limit = tmp_path / "at-limit.yaml"
    at_limit.write_bytes(body + b"#" * (MAX_FILE_BYTES - len(body)))
    assert at_limit.stat().st_size == MAX_FILE_BYTES
    assert _diagnostics(at_limit) == [
        f"{at_limit}:1:1: file is empty; expected a framework mapping"
    ]
    over = tmp_path / "over.yaml"
    over.write_bytes(at_limit.read_bytes() + b"\n")
    # Both round to 8.0 MiB, so the sizes are given in bytes.
    assert _diagnostics(over) == [
        f"{over}: file is 8388609 bytes; framework files are limited to 8388608 bytes (8.0 MiB)"
    ]


def test_file_growing_after_stat_is_read_no_further_than_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"#" * (3 * MAX_FILE_BYTES))
    real_fstat = os.fstat

    def small_fstat(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((*info[:6], 10, *info[7:]))

    sizes: list[int] = []
    real_fdopen = os.fdopen

    def counting_fdopen(fd: int, mode: str) -> object:
        handle = real_fdopen(fd, mode)
        real_read = handle.read

        def read(size: int = -1) -> bytes:
            data = real_read(size)
            sizes.append(len(data))
            return data

        handle.read = read  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(os, "fstat", small_fstat)
    monkeypatch.setattr(os, "fdopen", counting_fdopen)
    assert _diagnostics(path) == [
        f"{path}: file is larger than 8.0 MiB; framework files are limited to 8.0 MiB"
    ]
    assert sum(sizes) == MAX_FILE_BYTES + 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert _diagnostics(path) == [f"{path}: not a regular file (a named pipe)"]


@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "0000"), ("\x07", "0007")], ids=["nul", "bell"]
)
def test_control_character_is_placed(tmp_path: Path, char: str, code: str) -> None:
    path = tmp_path / "control.yaml"
    path.write_text(f"id: a{char}b\n", encoding="utf-8")
    assert _diagnostics(path) == [
        f"{path}:1:6: unacceptable character #x{code} (control characters are not allowed)"
    ]


def test_control_character_after_multibyte_text_and_a_bom(tmp_path: Path) -> None:
    """libyaml counts UTF-8 bytes; the column counts characters, and not the BOM."""
    path = tmp_path / "control.yaml"
    path.write_text("\ufeffid: caf\u00e9\ntitle: \u00e9\u00e9\x1bx\n", encoding="utf-8")
    assert _diagnostics(path) == [
        f"{path}:2:10: unacceptable character #x001b (control characters are not allowed)"
    ]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("a: &a [*a]\n", "1:4"),
        ("a: &a {b: [&b [*a]]}\n", "1:4"),
        ("a: &a\n  b: *a\n", "1:4"),
        ("x: 1\nb: &b [1, &c [*c]]\n", "2:11"),
    ],
    ids=["sequence", "nested", "mapping", "inner"],
)
def test_recursive_alias_is_placed_at_its_anchor(tmp_path: Path, text: str, place: str) -> None:
    path = tmp_path / "recursive.yaml"
    path.write_text(text, encoding="utf-8")
    name = "c" if "&c" in text else "a"
    assert _diagnostics(path) == [f"{path}:{place}: recursive alias '*{name}'"]


def test_shared_aliases_are_not_recursive(tmp_path: Path) -> None:
    text = (REPO / VALID / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("area: Testing", "area: &area Testing\nlevel: *area", 1)
    path = tmp_path / "shared.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_framework(path).level == "Testing"


_PHASES = "[{id: one, title: One, items: [{id: a, title: T, help: H, owner: qa}]}]"


def _framework_text(**fields: str) -> str:
    """A small valid framework, one field a line, with some fields replaced."""
    values = {
        "id": "lib",
        "title": "Library",
        "area": "Tests",
        "summary": "Built in code.",
        "phases": _PHASES,
    }
    values.update(fields)
    return "".join(f"{key}: {value}\n" for key, value in values.items())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42\n", "1:1: expected a mapping of framework fields, found a number"),
        ("yes\n", "1:1: expected a mapping of framework fields, found true"),
        ("2026-01-01\n", "1:1: expected a mapping of framework fields, found a date"),
        (
            _framework_text(title="yes"),
            "2:8: title: input should be a valid string "
            "(got true: YAML reads an unquoted yes as a boolean; write 'yes' in quotes)",
        ),
        (
            _framework_text(title="2026-01-01 10:00:00"),
            "2:8: title: input should be a valid "
            "string (got 2026-01-01 10:00:00: quote dates meant as text)",
        ),
        (_framework_text(summary="'" + "x" * 120 + "'"), ""),
        (_framework_text(id="'it''s'"), f"1:5: id: {SLUG} (got 'it''s')"),
        (_framework_text(id='"a\\tb"'), f'1:5: id: {SLUG} (got "a\\tb")'),
        (
            _framework_text(phases="[[plan]]"),
            "5:10: phases[0]: expected a mapping of phase fields (got a list)",
        ),
        (
            _framework_text(phases="{id: plan}"),
            "5:9: phases: input should be a valid list (got a mapping)",
        ),
    ],
    ids=[
        "number",
        "bool",
        "date",
        "yes-title",
        "datetime-title",
        "long-valid",
        "quote",
        "tab",
        "phase-list",
        "phases-mapping",
    ],
)
def test_values_are_written_as_yaml(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text, encoding="utf-8")
    if not expected:
        assert load_framework(path).summary == "x" * 120
        return
    assert _diagnostics(path) == [f"{path}:{expected}"]


def test_long_values_are_shortened(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(_framework_text(id="a" * 100), encoding="utf-8")
    assert _diagnostics(path) == [
        f"{path}:1:5: id: string should have at most 64 characters (got '{'a' * 77}...')"
    ]


def test_check_that_is_not_a_mapping(tmp_path: Path) -> None:
    text = (REPO / INVALID / "check_missing_kind.yaml").read_text(encoding="utf-8")
    path = tmp_path / "check.yaml"
    path.write_text(text.replace("check:\n          path: README.md", "check: make"), "utf-8")
    assert _diagnostics(path) == [
        f"{path}:13:16: phases[0].items[0].check: expected a mapping of check fields (got 'make')"
    ]


def test_bad_kind_that_is_not_text(tmp_path: Path) -> None:
    text = (REPO / INVALID / "bad_check_kind.yaml").read_text(encoding="utf-8")
    path = tmp_path / "kind.yaml"
    path.write_text(text.replace("kind: http", "kind: 3"), "utf-8")
    assert _diagnostics(path) == [
        f"{path}:14:17: phases[0].items[0].check.kind: "
        "input should be 'file', 'command' or 'metric' (got 3)"
    ]


def test_each_non_string_key_is_placed(tmp_path: Path) -> None:
    text = (REPO / INVALID / "non_string_key.yaml").read_text(encoding="utf-8")
    path = tmp_path / "keys.yaml"
    path.write_text(text + "        null: none\n        2.5: half\n", "utf-8")
    assert _diagnostics(path) == [
        f"{path}:13:9: phases[0].items[0]: keys should be strings (got 1)",
        f"{path}:14:9: phases[0].items[0]: keys should be strings (got null)",
        f"{path}:15:9: phases[0].items[0]: keys should be strings (got 2.5)",
    ]


def test_error_in_a_merged_mapping_is_placed_where_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        _framework_text(
            phases="\n  - id: one\n    title: One\n    items:\n"
            "      - &base {id: a, title: T, help: H, owner: Legal}\n"
            "      - <<: *base\n        id: b"
        ),
        "utf-8",
    )
    assert _diagnostics(path) == [
        f"{path}:9:49: phases[0].items[0].owner: {SLUG} (got 'Legal')",
        f"{path}:9:49: phases[0].items[1].owner: {SLUG} (got 'Legal')",
    ]


def _run_limited(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run opsctl in a child capped at 1 GiB of memory, so a runaway loader cannot hurt."""
    resource = pytest.importorskip("resource")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("OPSCTL_WORKSPACE", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "opsctl", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"opsctl {' '.join(args)} did not finish within {timeout} s")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    """Once looped forever with growing memory; now one located error, well within limits."""
    path = tmp_path / "recursive.yaml"
    path.write_text("a: &a [*a]\n", encoding="utf-8")
    result = _run_limited(["validate", str(path)], tmp_path, timeout=5)
    assert result.returncode == 2
    assert f"{path}:1:4: recursive alias '*a'" in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused(tmp_path: Path) -> None:
    """A device has no size to trust: it is refused unread, not read until memory runs out."""
    result = _run_limited(["validate", "/dev/zero"], tmp_path, timeout=10)
    assert result.returncode == 2
    assert "/dev/zero: not a regular file (a character device)" in result.stderr.splitlines()[0]
    assert "internal error" not in result.stderr


# --- valid input ------------------------------------------------------------------------


def test_valid_file_loads() -> None:
    framework = load_framework(VALID / "minimal.yaml")
    assert isinstance(framework, Framework)
    assert framework.id == "minimal"
    assert [phase.id for phase in framework.phases] == ["plan"]
    assert [item.id for item in framework.phases[0].gate_items()] == ["scope-agreed"]
    assert framework.item_count() == 2
    check = framework.phases[0].items[1].check
    assert check is not None
    assert check.kind == "command"


def test_valid_file_through_a_symlink_and_absolute_path(tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(REPO / VALID / "minimal.yaml")
    assert load_framework(link) == load_framework(REPO / VALID / "minimal.yaml")


def test_crlf_and_bom_keep_positions(tmp_path: Path) -> None:
    text = (REPO / INVALID / "unknown_key.yaml").read_text(encoding="utf-8")
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert _diagnostics(path) == [
        f"{path}:13:9: phases[0].items[0].priority: unknown field " + ITEM_FIELDS
    ]


def test_workspace_roles_are_accepted() -> None:
    framework = load_framework(INVALID / "unknown_owner_role.yaml", (*BUILTIN_ROLES, "legal"))
    assert framework.phases[0].items[0].owner == "legal"


def test_roles_replace_the_builtin_ones() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_framework(VALID / "minimal.yaml", roles=("qa",))
    fields = [diagnostic.field for diagnostic in caught.value.diagnostics]
    assert fields == [
        "audience[0]",
        "approval",
        "phases[0].items[0].owner",
        "phases[0].gate.approvals[0]",
    ]
    assert all("(known: qa)" in diagnostic.message for diagnostic in caught.value.diagnostics)


# --- the model as a library -------------------------------------------------------------


def _item(item_id: str, owner: str = "qa") -> dict[str, object]:
    return {"id": item_id, "title": "T", "help": "H", "owner": owner}


def _framework(**changes: object) -> Framework:
    data: dict[str, object] = {
        "id": "lib",
        "title": "Library",
        "area": "Tests",
        "summary": "Built in code.",
        "phases": [{"id": "one", "title": "One", "items": [_item("a")]}],
    }
    data.update(changes)
    return Framework.model_validate(data)


def test_reference_errors_none_for_a_sound_framework() -> None:
    assert reference_errors(_framework()) == []


def test_reference_errors_lists_every_problem_in_order() -> None:
    framework = _framework(
        audience=["qa", "sales"],
        approval="board",
        review=[
            {"cadence": "quarterly", "title": "Q"},
            {"cadence": "quarterly", "title": "Q again"},
        ],
        phases=[
            {
                "id": "one",
                "title": "One",
                "items": [_item("a"), _item("a", owner="intern")],
                "gate": {"items": ["a", "b"], "approvals": ["qa", "cfo"]},
            },
            {"id": "one", "title": "One again", "items": [_item("c")]},
        ],
        metrics=[
            {
                "id": "m",
                "title": "M",
                "unit": "%",
                "direction": "lower",
                "target_improvement_pct": 150,
            },
            {
                "id": "m",
                "title": "M2",
                "unit": "%",
                "direction": "higher",
                "target_improvement_pct": 150,
            },
        ],
    )
    known = KNOWN
    assert reference_errors(framework) == [
        (("phases", 1, "id"), "duplicate phase id 'one'"),
        (("phases", 0, "items", 1, "id"), "duplicate item id 'a'"),
        (
            ("phases", 0, "gate", "items", 1),
            "gate names unknown item 'b' (items of phase 'one': a)",
        ),
        (("metrics", 1, "id"), "duplicate metric id 'm'"),
        (
            ("metrics", 0, "target_improvement_pct"),
            "a lower-is-better metric cannot improve by 100% or more (got 150)",
        ),
        (("review", 1, "cadence"), "duplicate review cadence 'quarterly'"),
        (("audience", 1), f"unknown role 'sales' {known}"),
        (("approval",), f"unknown role 'board' {known}"),
        (("phases", 0, "items", 1, "owner"), f"unknown role 'intern' {known}"),
        (("phases", 0, "gate", "approvals", 1), f"unknown role 'cfo' {known}"),
    ]


def test_reference_errors_lower_metric_just_below_100_is_fine() -> None:
    metric = {
        "id": "m",
        "title": "M",
        "unit": "%",
        "direction": "lower",
        "target_improvement_pct": 99.5,
    }
    assert reference_errors(_framework(metrics=[metric])) == []


def test_reference_errors_with_custom_roles() -> None:
    framework = _framework(phases=[{"id": "one", "title": "One", "items": [_item("a", "legal")]}])
    assert reference_errors(framework, roles={"legal"}) == []
    assert reference_errors(framework) == [
        (("phases", 0, "items", 0, "owner"), f"unknown role 'legal' {KNOWN}")
    ]
    assert reference_errors(framework, roles=["qa", "dev"]) == [
        (("phases", 0, "items", 0, "owner"), "unknown role 'legal' (known: dev, qa)")
    ]


def test_reference_errors_gate_naming_item_of_another_phase() -> None:
    framework = _framework(
        phases=[
            {"id": "one", "title": "One", "items": [_item("a"), _item("b")]},
            {"id": "two", "title": "Two", "items": [_item("c")], "gate": {"items": ["a"]}},
        ]
    )
    assert reference_errors(framework) == [
        (
            ("phases", 1, "gate", "items", 0),
            "gate names unknown item 'a' (items of phase 'two': c)",
        )
    ]


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        ((), ""),
        (("id",), "id"),
        (("gate", "items"), "gate.items"),
        (("audience", 1), "audience[1]"),
        (("phases", 2, "items", 0, "owner"), "phases[2].items[0].owner"),
        (("phases", 0, "gate", "approvals", 3), "phases[0].gate.approvals[3]"),
        ((0,), "[0]"),
        ((0, "id"), "[0].id"),
        (("matrix", 1, 2), "matrix[1][2]"),
    ],
)
def test_format_loc(loc: tuple[str | int, ...], text: str) -> None:
    assert format_loc(loc) == text


def test_locate_places_problems_given_as_field_paths() -> None:
    path = VALID / "minimal.yaml"
    text = (REPO / path).read_text(encoding="utf-8")
    found = locate(
        text,
        path,
        [
            (("phases", 0, "items", 1, "check", "argv", 1), "first"),
            (("metrics", 0, "nickname"), "second"),
        ],
    )
    assert [str(diagnostic) for diagnostic in found] == [
        f"{path}:28:26: phases[0].items[1].check.argv[1]: first",
        f"{path}:34:5: metrics[0].nickname: second",
    ]


def test_diagnostic_without_position() -> None:
    assert str(Diagnostic("a.yaml", None, None, "broken")) == "a.yaml: broken"
    assert str(Diagnostic("a.yaml", 3, None, "broken", "id")) == "a.yaml:3: id: broken"
    assert str(Diagnostic("a.yaml", 3, 4, "broken", "id")) == "a.yaml:3:4: id: broken"


def test_a_real_ten_thousand_item_framework_is_admitted(tmp_path: Path) -> None:
    """The size cap leaves room for a 10,000-item definition with help texts (issue 16)."""
    items = [
        {
            "id": f"item-{number}",
            "title": f"Item {number} is done and checked by its owner",
            "help": "What done looks like, and where the evidence lives.",
            "owner": "product-manager",
            "evidence": "link",
            "satisfies": ["ISO 9001 7.5"],
        }
        for number in range(10_000)
    ]
    document = {
        "id": "huge",
        "title": "Huge",
        "area": "Testing",
        "summary": "Ten thousand items.",
        "phases": [
            {"id": f"phase-{p}", "title": f"Phase {p}", "items": items[p * 1000 : (p + 1) * 1000]}
            for p in range(10)
        ],
    }
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert path.stat().st_size > 1024 * 1024
    assert load_framework(path).item_count() == 10_000
