"""The shape of the package: layers point down, no cycles, small modules.

Layers, top to bottom: cli -> actions -> gate / review / git -> engine ->
store -> definitions -> the foundation (errors, clock, text). A module may
import its own wing and any wing below it; siblings (gate, review, git) do
not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "opsctl"
LAYER = {
    "cli": 6,
    "actions": 5,
    "gate": 4,
    "review": 4,
    "git": 4,
    "engine": 3,
    "store": 2,
    "definitions": 1,
    "foundation": 0,
}
FOUNDATION = {"errors", "clock", "text"}
ENTRY_POINTS = {"opsctl", "opsctl.__main__"}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every opsctl module a file imports, lazily or not."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("opsctl"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("opsctl"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules and name not in ENTRY_POINTS}


def _wing(module: str) -> str:
    parts = module.split(".")
    return "foundation" if parts[1] in FOUNDATION else parts[1]


GRAPH = {
    _module_name(path): _imports(path)
    for path in sorted(PACKAGE.rglob("*.py"))
    if _module_name(path) not in ENTRY_POINTS
}


def test_every_wing_has_a_layer() -> None:
    wings = {_wing(module) for module in GRAPH}
    assert wings - set(LAYER) == set()


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    wing = _wing(module)
    upward = sorted(
        target
        for target in GRAPH[module]
        if _wing(target) != wing and LAYER.get(_wing(target), 99) >= LAYER[wing]
    )
    assert upward == [], f"{module} imports a wing at its level or above"


def test_no_circular_imports() -> None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for target in sorted(GRAPH.get(module, set())):
            if target != module and target in GRAPH and not module.startswith(target + "."):
                visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_module_name)
def test_module_is_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=_module_name)
def test_cli_opens_no_transaction(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for forbidden in (".update(", "opsctl.store.files", "atomic_write", "locked(", ".create("):
        assert forbidden not in text
