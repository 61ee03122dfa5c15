"""Read framework YAML into models, reporting errors like a compiler.

The fast path parses with libyaml's C loader (when present) and validates
with Pydantic. Only when something is wrong is the file composed again into
a node tree, so each error can name the line, column and field it concerns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from opsctl.errors import DefinitionError, Diagnostic
from opsctl.fastyaml import fast_load
from opsctl.model import BUILTIN_ROLES, Framework, Loc, reference_errors

MAX_FILE_BYTES = 1024 * 1024
"""A framework is a document people read; anything larger is a mistake."""
MAX_EXPANDED_NODES = 200_000
"""Aliases may not expand a file past this many nodes (defeats "billion laughs")."""

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loading that refuses duplicate keys and alias bombs."""

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
    """Count nodes as if every alias were copied out, without copying anything."""
    sizes: dict[int, int] = {}
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
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _diagnostic(path: Path, mark: Any, message: str, field: str = "") -> Diagnostic:
    if mark is None:
        return Diagnostic(str(path), None, None, message, field)
    return Diagnostic(str(path), mark.line + 1, mark.column + 1, message, field)


def read_text(path: Path) -> str:
    """The text of a definition file, or a DefinitionError saying why it cannot be read."""
    try:
        if path.is_dir():
            raise DefinitionError([Diagnostic(str(path), None, None, "is a directory, not a file")])
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DefinitionError(
                [
                    Diagnostic(
                        str(path),
                        None,
                        None,
                        f"file is {size / 1e6:.1f} MB; framework files are limited to "
                        f"{MAX_FILE_BYTES // 1024} KiB",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(
            [Diagnostic(str(path), None, None, f"cannot read: {exc.strerror or exc}")]
        ) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise DefinitionError(
            [
                Diagnostic(
                    str(path),
                    line,
                    column,
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                )
            ]
        ) from exc


def parse_yaml(text: str, path: Path) -> Any:
    """Safe-load one YAML document, refusing duplicate keys, tags and alias bombs."""
    plain, value = fast_load(text)
    if plain:
        return value
    loader = _StrictLoader(text)
    loader.anchors_seen = "&" in text
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = problem.replace(
                "could not determine a constructor for the tag", "tag not allowed in safe YAML:"
            )
        elif exc.context:
            problem = f"{problem} ({exc.context})"
        raise DefinitionError([_diagnostic(path, exc.problem_mark, problem)]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Diagnostic(str(path), None, None, f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()


def load_framework(path: Path, roles: Collection[str] = BUILTIN_ROLES) -> Framework:
    """Load and fully check one framework file; every problem is reported at once."""
    text = read_text(path)
    data = parse_yaml(text, path)
    if data is None:
        raise DefinitionError(
            [Diagnostic(str(path), 1, 1, "file is empty; expected a framework mapping")]
        )
    if not isinstance(data, dict):
        kind = type(data).__name__.replace("str", "text").replace("dict", "mapping")
        raise DefinitionError(
            [Diagnostic(str(path), 1, 1, f"expected a mapping of framework fields, found {kind}")]
        )
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        problems = [(error["loc"], _message(error)) for error in exc.errors()]
        raise DefinitionError(locate(text, path, problems)) from None
    problems = reference_errors(framework, roles)
    if problems:
        raise DefinitionError(locate(text, path, problems))
    return framework


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "string_pattern_mismatch":
        return f"must be a lowercase slug such as 'release-planning' (got {value!r})"
    message = error["msg"]
    message = message[0].lower() + message[1:]
    if isinstance(value, (str, int, float, bool)) or value is None:
        message += f" (got {value!r})"
    return message


def locate(text: str, path: Path, problems: Iterable[tuple[Loc, str]]) -> list[Diagnostic]:
    """Place each (field path, message) at its line and column in the YAML text."""
    root = yaml.compose(text, Loader=_BaseLoader)
    return [_place(root, path, tuple(loc), message) for loc, message in problems]


def _place(root: yaml.Node | None, path: Path, loc: Loc, message: str) -> Diagnostic:
    node = root
    mark = root.start_mark if root is not None else None
    matched: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        child = _child(node, part)
        if child is None:
            if last and isinstance(part, str):
                matched.append(part)
            continue
        key_node, node = child
        matched.append(part)
        mark = key_node.start_mark if (last and message == "unknown field") else node.start_mark
    return _diagnostic(path, mark, message, format_loc(tuple(matched)))


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == part:
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def format_loc(loc: Loc) -> str:
    """Render a field path as ``phases[2].items[0].owner``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
