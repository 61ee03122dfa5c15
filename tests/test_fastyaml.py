"""The fast YAML path must build exactly what PyYAML's safe loader builds, or step aside."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsctl.definitions.fastyaml import fast_load

REPO = Path(__file__).resolve().parents[1]

SCALARS = [
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "~",
    "null",
    "",
    "0",
    "-0",
    "+7",
    "42",
    "-3",
    "007",
    "0x1F",
    "0o17",
    "1_000",
    "1.5",
    "-2.25",
    ".5",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".nan",
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "12:30",
    "1:20:00",
    "'quoted'",
    '"true"',
    "'1.5'",
    "a: b",
    "- x",
    "plain text",
    "<<",
    "=",
    "!!str 5",
    "!custom x",
    "&a 1",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalar_matches_safe_load_or_falls_back(scalar: str) -> None:
    text = f"key: {scalar}\n"
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        assert fast_load(text) == (False, None)
        return
    handled, value = fast_load(text)
    if handled:
        assert value == expected
        assert type(value["key"]) is type(expected["key"])


@pytest.mark.parametrize("path", sorted((REPO / "frameworks").glob("*.yaml")), ids=lambda p: p.name)
def test_builtin_frameworks_take_the_fast_path_with_identical_values(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    handled, value = fast_load(text)
    assert handled
    assert value == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n",
        "--- 1\n--- 2\n",
        "a: !!python/object:os.system x\n",
        "a: [1, 2\n",
        "? [1, 2]\n: complex key\n",
    ],
)
def test_unusual_documents_fall_back_to_the_full_loader(text: str) -> None:
    assert fast_load(text) == (False, None)
