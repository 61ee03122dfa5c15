"""Turn YAML and Pydantic errors into located messages in the words of a YAML file.

Only the error path comes here: the text is composed into a node tree again so
each problem can be placed at the line and column it concerns, and values are
quoted the way YAML writes them (``null``, ``true``, ``'text'``), not Python.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic_core import ErrorDetails

from opsctl.definitions.fastyaml import SAFE_LOADER as _BaseLoader
from opsctl.definitions.model import Check, Loc
from opsctl.errors import Diagnostic, format_loc

_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_TOKEN = re.compile(r"[^\s,\[\]{}]+")
_STR_TAG = "tag:yaml.org,2002:str"
_SLUG = "must be a lowercase slug such as 'release-planning'"
_MAPPING_ERRORS = ("model_type", "model_attributes_type", "dict_type")
_UNION_ERRORS = ("union_tag_not_found", "union_tag_invalid")


def _union_tags(union: Any) -> tuple[str, tuple[str, ...]]:
    """The discriminator field of an annotated, discriminated union and its tags."""
    members, info = get_args(union)
    field: str = info.discriminator
    tags = tuple(
        tag
        for member in get_args(members)
        for tag in get_args(member.model_fields[field].annotation)
    )
    return field, tags


UNIONS: dict[str, tuple[str, tuple[str, ...]]] = {"check": _union_tags(Check)}
"""Fields holding a discriminated union -> (discriminator, tags)."""


# --- positions in the text --------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in _BREAK.finditer(text))]


def offset_of(text: str, line: int, column: int) -> int:
    """The index in ``text`` of a 0-based (line, column) mark; a BOM is not a column."""
    starts = _line_starts(text)
    if line >= len(starts):
        return len(text)
    bom = 1 if line == 0 and text.startswith("\ufeff") else 0
    return min(starts[line] + bom + column, len(text))


def _position_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of an index in ``text``."""
    starts = _line_starts(text[:offset])
    column = offset - starts[-1] - (1 if len(starts) == 1 and text.startswith("\ufeff") else 0)
    return len(starts), column + 1


def _token_at(text: str, mark: Any) -> str:
    match = _TOKEN.match(text, offset_of(text, mark.line, mark.column))
    return match.group() if match else ""


def _diagnostic(path: Path, mark: Any, message: str, field: str = "") -> Diagnostic:
    if mark is None:
        return Diagnostic(str(path), None, None, message, field)
    return Diagnostic(str(path), mark.line + 1, mark.column + 1, message, field)


# --- YAML errors ------------------------------------------------------------------------


def yaml_diagnostic(
    exc: yaml.YAMLError, text: str, path: Path, byte_offsets: bool = False
) -> Diagnostic:
    """One line for a YAML error; ``byte_offsets`` when a reader position counts UTF-8 bytes."""
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        offset = exc.position
        if byte_offsets:
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        line, column = _position_of(text, offset)
        reason = (
            "control characters are not allowed"
            if unicodedata.category(chr(exc.character)) == "Cc"
            else exc.reason
        )
        message = f"unacceptable character #x{exc.character:04x} ({reason})"
        return Diagnostic(str(path), line, column, message)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Diagnostic(str(path), None, None, "invalid YAML: " + " ".join(str(exc).split()))
    mark, problem, context = exc.problem_mark, exc.problem or "invalid YAML", exc.context
    if problem.startswith("could not determine a constructor for the tag"):
        written = _token_at(text, mark) if mark is not None else ""
        if not written.startswith("!"):
            written = problem.removeprefix("could not determine a constructor for the tag")
            written = written.strip(" '").replace("tag:yaml.org,2002:", "!!")
        problem = f"tag not allowed in safe YAML: {written}"
    elif problem in ("found undefined alias", "recursive alias") and mark is not None:
        name = _token_at(text, mark).lstrip("*&")
        problem = f"{problem} '*{name}'" if name else problem
    elif context and problem.startswith("but "):
        problem = f"{context}, {problem}"
    elif context:
        at_end = mark is None or offset_of(text, mark.line, mark.column) >= len(text)
        if exc.context_mark is not None and (at_end or "end of stream" in problem):
            mark, context = exc.context_mark, f"{context} started here"
        problem = f"{problem} ({context})"
    return _diagnostic(path, mark, problem)


# --- values, as YAML writes them --------------------------------------------------------


def _yaml_number(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return "-.inf" if value < 0 else ".inf"
    return repr(value)


def _yaml_text(value: str) -> str:
    if len(value) > 80:
        value = value[:77] + "..."
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def yaml_value(value: object) -> str:
    """A scalar as YAML writes it: null, true, 42, 'text'; containers by what they are."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _yaml_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _yaml_text(value)
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a mapping" if isinstance(value, Mapping) else type(value).__name__


def describe(value: object) -> str:
    """What a document's top-level value is, for 'expected a mapping ..., found ...'."""
    if isinstance(value, bool):
        return yaml_value(value)
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return yaml_value(value)


def _got(error: ErrorDetails, node: yaml.Node | None) -> str:
    value = error.get("input")
    written = node.value if isinstance(node, yaml.ScalarNode) else None
    if error["type"] == "string_type" and isinstance(value, bool):
        word = written or yaml_value(value)
        return (
            f" (got {yaml_value(value)}: YAML reads an unquoted {word} as a boolean; "
            f"write '{word}' in quotes)"
        )
    if error["type"] == "string_type" and isinstance(value, (dt.date, dt.datetime)):
        return f" (got {written or yaml_value(value)}: quote dates meant as text)"
    if isinstance(value, (str, int, float, bool, dt.date)) or value is None:
        return f" (got {yaml_value(value)})"
    if isinstance(value, (list, dict)) and error["type"].endswith("_type"):
        return f" (got {yaml_value(value)})"
    return ""


def _allowed_fields(parent: Loc) -> list[str]:
    """The fields a mapping at ``parent`` may have, when the model there is known."""
    from pydantic import BaseModel

    from opsctl.definitions import model

    by_list: dict[str, type[BaseModel]] = {
        "phases": model.Phase,
        "items": model.Item,
        "metrics": model.Metric,
        "review": model.Review,
    }
    by_tag: dict[str, type[BaseModel]] = {
        "file": model.FileCheck,
        "command": model.CommandCheck,
        "metric": model.MetricCheck,
    }
    names = [part for part in parent if isinstance(part, str)]
    if not names:
        return list(model.Framework.model_fields)
    last = names[-1]
    if len(names) >= 2 and names[-2] == "check" and last in by_tag:
        return list(by_tag[last].model_fields)
    if last == "gate":
        return list(model.Gate.model_fields)
    chosen = by_list.get(last)
    return list(chosen.model_fields) if chosen else []


def _suggestion(loc: Loc) -> str:
    import difflib

    allowed = _allowed_fields(loc[:-1])
    if not allowed or not loc or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], allowed, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(allowed)})"


def _thing(loc: Loc) -> str:
    if not loc:
        return "framework"
    if isinstance(loc[-1], str):
        return loc[-1]
    if len(loc) > 1 and isinstance(loc[-2], str):
        return loc[-2].removesuffix("s")
    return ""


def _choices(tags: Iterable[str]) -> str:
    quoted = [f"'{tag}'" for tag in tags]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else "".join(quoted)


def _message(error: ErrorDetails, loc: Loc, node: yaml.Node | None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field" + _suggestion(loc)
    if kind == "string_pattern_mismatch":
        return _SLUG + _got(error, node)
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in _MAPPING_ERRORS:
        thing = _thing(loc) if kind != "dict_type" else ""
        return f"expected a mapping{f' of {thing} fields' if thing else ''}" + _got(error, node)
    if kind in _UNION_ERRORS and len(loc) > 1 and loc[-2] in UNIONS:
        field, tags = UNIONS[str(loc[-2])]
        if kind == "union_tag_not_found":
            return f"required field is missing (one of {', '.join(f'{t!r}' for t in tags)})"
        value = error.get("input")
        got = value.get(field) if isinstance(value, dict) else ctx.get("tag")
        return f"input should be {_choices(tags)} (got {yaml_value(got)})"
    message = error["msg"]
    return message[0].lower() + message[1:] + _got(error, node)


def _error_loc(error: ErrorDetails) -> Loc:
    """The field path as the file has it: no union tags; union errors at the discriminator."""
    loc: list[str | int] = []
    parts = list(error["loc"])
    for index, part in enumerate(parts):
        previous = parts[index - 1] if index else None
        if isinstance(previous, str) and previous in UNIONS and part in UNIONS[previous][1]:
            continue
        loc.append(part)
    if error["type"] in _UNION_ERRORS and loc and loc[-1] in UNIONS:
        loc.append(UNIONS[str(loc[-1])][0])
    return tuple(loc)


def validation_diagnostics(
    errors: Iterable[ErrorDetails], text: str, path: Path
) -> list[Diagnostic]:
    """Every Pydantic error as a located diagnostic in plain words."""
    root = yaml.compose(text, Loader=_BaseLoader)
    found: list[Diagnostic] = []
    for error in errors:
        loc = _error_loc(error)
        if error["type"] == "invalid_key":
            parent = _find(root, loc[:-1])[1]
            key_node = _key_node(parent, error.get("input"))
            mark = key_node.start_mark if key_node is not None else _mark(parent, root)
            message = "keys should be strings" + _got(error, None)
            found.append(_diagnostic(path, mark, message, format_loc(loc[:-1])))
            continue
        message = _message(error, loc, _find(root, loc)[1])
        found.append(_place(root, path, loc, message, at_key=error["type"] == "extra_forbidden"))
    return found


# --- placing a field path in the node tree ----------------------------------------------


def locate(text: str, path: Path, problems: Iterable[tuple[Loc, str]]) -> list[Diagnostic]:
    """Place each (field path, message) at its line and column in the YAML text."""
    root = yaml.compose(text, Loader=_BaseLoader)
    return [_place(root, path, tuple(loc), message) for loc, message in problems]


def _place(
    root: yaml.Node | None, path: Path, loc: Loc, message: str, at_key: bool = False
) -> Diagnostic:
    key_node, node, matched = _find(root, loc)
    complete = matched == len(loc)
    mark = key_node.start_mark if (at_key and complete and key_node) else _mark(node, root)
    return _diagnostic(path, mark, message, format_loc(loc))


def _mark(node: yaml.Node | None, root: yaml.Node | None) -> Any:
    chosen = node if node is not None else root
    return chosen.start_mark if chosen is not None else None


def _find(root: yaml.Node | None, loc: Loc) -> tuple[yaml.Node | None, yaml.Node | None, int]:
    """(key node, value node) of the deepest part of ``loc`` in the file, and how many matched."""
    key_node: yaml.Node | None = None
    node = root
    for matched, part in enumerate(loc):
        child = _child(node, part)
        if child is None:
            return key_node, node, matched
        key_node, node = child
    return key_node, node, len(loc)


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == part:
                return key_node, value_node
            if getattr(key_node, "tag", "") == "tag:yaml.org,2002:merge":
                merged.extend(
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
        for source in merged:
            found = _child(source, part)
            if found is not None:
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _key_node(node: yaml.Node | None, key: object) -> yaml.Node | None:
    """The key node of a mapping whose value is the non-text ``key``."""
    if not isinstance(node, yaml.MappingNode):
        return None
    candidates: list[yaml.Node] = [
        k for k, _ in node.value if getattr(k, "tag", _STR_TAG) != _STR_TAG
    ]
    constructor = yaml.constructor.SafeConstructor()
    for candidate in candidates:
        try:
            value = constructor.construct_object(candidate, deep=True)
        except yaml.YAMLError:
            continue
        if type(value) is type(key) and value == key:
            return candidate
    return candidates[0] if candidates else None
