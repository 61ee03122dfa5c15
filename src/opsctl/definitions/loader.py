"""Read framework YAML into models, reporting errors like a compiler.

The fast path parses with libyaml's C loader (when present) and validates
with Pydantic. Only when something is wrong is the file composed again into
a node tree, so each error can name the line, column and field it concerns
(see :mod:`opsctl.definitions.diagnostics`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from opsctl.definitions.diagnostics import (
    describe,
    locate,
    validation_diagnostics,
    yaml_diagnostic,
)
from opsctl.definitions.fastyaml import SAFE_LOADER, fast_load
from opsctl.definitions.model import BUILTIN_ROLES, Framework, reference_errors
from opsctl.definitions.source import MAX_FILE_BYTES, read_text
from opsctl.errors import DefinitionError, Diagnostic

__all__ = [
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "load_framework",
    "locate",
    "parse_yaml",
    "read_text",
]

MAX_EXPANDED_NODES = 200_000
"""Aliases may not expand a file past this many nodes (defeats "billion laughs")."""

_BaseLoader = SAFE_LOADER
_BYTE_OFFSETS = _BaseLoader is not yaml.SafeLoader
"""libyaml reports reader errors at UTF-8 byte offsets, PyYAML at character offsets."""


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loading that refuses duplicate keys, recursive aliases and alias bombs."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in first_seen:
                    earlier = first_seen[key_node.value].start_mark.line + 1
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key '{key_node.value}' (first defined on line {earlier})",
                        key_node.start_mark,
                    )
                first_seen[key_node.value] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_document(self, node: yaml.Node) -> Any:
        if self.anchors_seen and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"aliases expand this document past {MAX_EXPANDED_NODES} nodes",
                node.start_mark,
            )
        return super().construct_document(node)

    anchors_seen = False


def _expanded_size(root: yaml.Node) -> int:
    """Count nodes as if every alias were copied out, without copying anything.

    Aliases make the node tree a graph; an alias inside its own anchor makes it
    cyclic, which is refused (``recursive alias``) at the anchored node.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done or not children:
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
            open_nodes.discard(id(node))
            continue
        if id(node) in open_nodes:
            # Still open, yet reached again: it is its own descendant.
            raise yaml.constructor.ConstructorError(None, None, "recursive alias", node.start_mark)
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def parse_yaml(text: str, path: Path) -> Any:
    """Safe-load one YAML document, refusing duplicate keys, tags and alias bombs."""
    try:
        plain, value = fast_load(text)
    except ValueError:
        plain, value = False, None
    if plain:
        return value
    loader = _StrictLoader(text)
    loader.anchors_seen = "&" in text
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise DefinitionError([yaml_diagnostic(exc, text, path, _BYTE_OFFSETS)]) from exc
    except ValueError as exc:
        raise DefinitionError([_number_diagnostic(text, path, exc)]) from exc
    finally:
        loader.dispose()


_LONG_NUMBER = re.compile(r"[-+]?\d[\d_]{99,}")


def _number_diagnostic(text: str, path: Path, exc: ValueError) -> Diagnostic:
    """A value YAML reads as a number but Python will not hold (thousands of digits)."""
    found = _LONG_NUMBER.search(text)
    if found is None:
        return Diagnostic(str(path), None, None, f"a value cannot be read: {exc}")
    before = text[: found.start()]
    line = before.count("\n") + 1
    column = found.start() - (before.rfind("\n") + 1) + 1
    digits = len(found.group())
    return Diagnostic(str(path), line, column, f"number with {digits} digits is too long")


def load_framework(path: Path, roles: Collection[str] = BUILTIN_ROLES) -> Framework:
    """Load and fully check one framework file; every problem is reported at once."""
    return framework_from_text(read_text(path), path, roles)


def framework_from_text(text: str, path: Path, roles: Collection[str] = BUILTIN_ROLES) -> Framework:
    """Fully check the text of a framework file (read already); every problem at once."""
    data = parse_yaml(text, path)
    if data is None:
        raise DefinitionError(
            [Diagnostic(str(path), 1, 1, "file is empty; expected a framework mapping")]
        )
    if not isinstance(data, dict):
        found = describe(data)
        raise DefinitionError(
            [Diagnostic(str(path), 1, 1, f"expected a mapping of framework fields, found {found}")]
        )
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(validation_diagnostics(exc.errors(), text, path)) from None
    problems = reference_errors(framework, roles)
    if problems:
        raise DefinitionError(locate(text, path, problems))
    return framework
