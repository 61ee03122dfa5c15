"""Where runs live: one JSON document per run, definitions pinned by digest.

A run refers to the definition it follows by digest; the definition itself
is kept once under ``.opsctl/definitions/`` so runs keep working when the
YAML changes or disappears, and many runs share one copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsctl.definitions.model import Framework, definition_digest
from opsctl.errors import InvalidField, StoreError, UsageError
from opsctl.store.cache import DerivedCache, content_digest
from opsctl.store.documents import (
    RUN_SCHEMA,
    RUN_UPGRADES,
    RunDocument,
    RunHeader,
    RunState,
    RunStatus,
    validate_run_id,
)
from opsctl.store.files import (
    atomic_write,
    dumps,
    load_model,
    locked,
    parse_model,
    read_bytes,
    read_json,
    save_model,
    upgrade,
)
from opsctl.store.index import RunIndex, bulk_load
from opsctl.store.workspace import Workspace

DEFINITION_SCHEMA = 1
T = TypeVar("T")


@dataclass
class Survey:
    """Every run of a store as listings and checks need it, read once."""

    states: dict[str, RunState]
    """Each run that reads whole (history included), without its history."""
    headers: dict[str, RunHeader]
    """Each run with a readable header, in id order (the states among them)."""
    errors: list[StoreError]
    """The runs with no readable header at all."""


@dataclass(frozen=True)
class Derived:
    """What :meth:`RunStore.parts` keeps of a run: the value, and the definition it came from."""

    digest: str
    value: object


class _PinnedDefinition(BaseModel):
    """A pinned definition file, parsed and validated in one pass (other keys are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_: int = Field(alias="schema", strict=True)
    framework: Framework


def _parse_definition(raw: bytes, path: Path) -> Framework:
    """A pinned definition in one pass, else the reader that upgrades it or names the problem."""
    with bulk_load():
        try:
            pinned = _PinnedDefinition.model_validate_json(raw)
        except ValidationError:
            pinned = None
    if pinned is not None and pinned.schema_ == DEFINITION_SCHEMA:
        return pinned.framework
    document = upgrade(read_json(path, raw), path, DEFINITION_SCHEMA, {})
    return parse_model(Framework, document.get("framework", {}), path)


class RunStore:
    """The runs of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.runs_dir = workspace.runs_dir
        self._definitions: dict[str, Framework | StoreError] = {}

    def path(self, run_id: str) -> Path:
        """The file of a run."""
        return self.runs_dir / f"{validate_run_id(run_id)}.json"

    def ids(self) -> list[str]:
        """Every run id, sorted; a runs folder that is missing or not a folder is an error.

        An empty answer must mean "no runs", never "could not look": a CI
        gate that read nothing would pass.
        """
        if not self.runs_dir.is_dir():
            what = "is not a folder" if self.runs_dir.exists() else "is missing"
            raise StoreError(
                f"{self.runs_dir}: {what}; restore it from git (it holds one JSON file per run)",
                path=str(self.runs_dir),
            )
        return sorted(path.stem for path in self.runs_dir.glob("*.json"))

    def exists(self, run_id: str) -> bool:
        """Whether a run with this id is stored."""
        return self.path(run_id).exists()

    def _require(self, run_id: str) -> Path:
        path = self.path(run_id)
        if not path.exists():
            known = self.ids()
            hint = f" (runs: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''})"
            raise UsageError(f"unknown run '{run_id}'" + (hint if known else "; none started yet"))
        return path

    def load(self, run_id: str) -> RunDocument:
        """Read one run; a damaged file is a StoreError naming it."""
        return self._read(self._require(run_id))

    def documents(self) -> list[RunDocument]:
        """Every run whole, history included, in id order; the first damaged one raises.

        Loaded with the garbage collector kept out (:func:`bulk_load`).
        """
        with bulk_load():
            return [self.load(run_id) for run_id in self.ids()]

    def parts(self, name: str, derive: Callable[[RunDocument, Framework], T]) -> list[T]:
        """``derive(run, its pinned definition)`` for every run in id order, kept per file version.

        What a report needs of each run is derived once and kept in the run
        index (:func:`opsctl.store.parts.kept_parts`) under ``name``; only runs changed since
        are read again, each once. The pinned definition of every run is
        still verified (once per definition), so a damaged one fails as a
        full read would; so does the first damaged run, as in :meth:`documents`.
        """
        from opsctl.store.parts import kept_parts  # only reports keep parts

        def from_file(path: Path) -> Derived:
            document = self._read(path)
            framework = self.framework_of(document)
            return Derived(document.framework.digest, derive(document, framework))

        paths = {run_id: self._require(run_id) for run_id in self.ids()}
        found = kept_parts(self.workspace.dir, paths, name, Derived, from_file)
        for kept in found:
            self.definition(kept.digest)
        # A kept value's tag proves this very code made it with ``derive``.
        return [cast(T, kept.value) for kept in found]

    def _read(self, path: Path) -> RunDocument:
        document = load_model(RunDocument, path, RUN_SCHEMA, RUN_UPGRADES)
        if document.id != path.stem:
            raise StoreError(
                f"{path}: id: '{document.id}' does not match the file name", path=str(path)
            )
        return document

    def _named(self) -> tuple[dict[str, Path], list[StoreError]]:
        """Every run file by id, and an error for each file whose name is not a run id."""
        paths: dict[str, Path] = {}
        errors: list[StoreError] = []
        for run_id in self.ids():
            path = self.runs_dir / f"{run_id}.json"
            try:
                paths[validate_run_id(run_id)] = path
            except UsageError:
                errors.append(StoreError(f"{path}: file name is not a run id; move it away"))
        return paths, errors

    def survey(self, status: RunStatus | None = None) -> Survey:
        """Every run read for listing and checking: states, headers and what went wrong.

        Served from the run index (:mod:`opsctl.store.index`): only files
        changed since they were indexed are read, each once, whole. With
        ``status``, only the runs in that status are surveyed; a run that
        cannot be read is an error whatever its status.
        """
        paths, errors = self._named()
        wanted = status.value if status is not None else None
        found = RunIndex(self.workspace.dir).states(paths, self._read, wanted)
        states, failed = found.states, found.errors
        survey = Survey(states, {}, errors)
        for run_id, path in paths.items():
            if run_id in found.elsewhere:
                continue
            header = states[run_id] if run_id in states else self._header(path, run_id)
            if header is None:
                survey.errors.append(failed[run_id])
                continue
            survey.headers[run_id] = header
        return survey

    def headers(self) -> tuple[list[RunHeader], list[StoreError]]:
        """Every run's header (state without history), plus the errors of unreadable ones.

        A run whose history is damaged still has a header: it is listed, and
        ``check`` or ``audit`` name the damage.
        """
        survey = self.survey()
        return list(survey.headers.values()), survey.errors

    def _header(self, path: Path, run_id: str) -> RunHeader | None:
        """The header of a current run file whose history does not validate, if it has one."""
        try:
            header = RunHeader.model_validate_json(read_bytes(path))
        except (StoreError, ValidationError):
            return None
        current = "schema_" in header.model_fields_set and header.schema_ == RUN_SCHEMA
        return header if current and header.id == run_id else None

    def create(self, document: RunDocument, framework: Framework) -> None:
        """Store a new run and pin its definition; refuses an id already taken."""
        path = self.path(document.id)
        with locked(path):
            if path.exists():
                raise InvalidField("id", f"run '{document.id}' already exists; choose another")
            self.pin(framework)
            save_model(document, path)

    @contextmanager
    def update(self, run_id: str) -> Iterator[RunDocument]:
        """Lock a run, hand it over for changes, and save it if the block succeeds.

        The document is read after the lock is taken, so parallel writers
        never overwrite each other's changes. An error inside the block
        leaves the file exactly as it was, and so does a block that records
        no event (every change to a run is an event, so its head moves).
        """
        path = self._require(run_id)
        with locked(path):
            document = self._read(path)
            head = document.head
            yield document
            if document.head != head:
                save_model(document, path)

    def pin(self, framework: Framework) -> str:
        """Keep a copy of a definition under its digest (written once)."""
        digest = definition_digest(framework)
        path = self.workspace.pinned_definition_path(digest)
        if not path.exists():
            document = {
                "schema": DEFINITION_SCHEMA,
                "kind": "definition",
                "digest": digest,
                "framework": framework.model_dump(mode="json"),
            }
            atomic_write(path, dumps(document))
        self._definitions[digest] = framework
        return digest

    def definition(self, digest: str) -> Framework:
        """The definition a run is pinned to."""
        known = self._definitions.get(digest)
        if isinstance(known, StoreError):
            raise known
        if known is not None:
            return known
        path = self.workspace.pinned_definition_path(digest)
        try:
            raw = read_bytes(path)
            framework = _parse_definition(raw, path)
            if not self._verified(raw, digest, framework):
                raise StoreError(
                    f"{path}: content does not match its digest {digest}", path=str(path)
                )
        except StoreError as exc:
            self._definitions[digest] = exc
            raise
        self._definitions[digest] = framework
        return framework

    def _verified(self, raw: bytes, digest: str, framework: Framework) -> bool:
        """Whether a pinned definition hashes to its digest; remembered by the file's bytes.

        Hashing a 10,000-item definition costs more than parsing it, and a
        pinned file never changes: once these exact bytes were verified, a
        SHA-256 of them stands in for the check (the cache is git-ignored,
        so CI always verifies afresh).
        """
        cache = DerivedCache(self.workspace.dir)
        name, source = f"pinned-{digest.removeprefix('sha256:')}", content_digest(raw)
        if cache.get(name, source) == digest:
            return True
        if definition_digest(framework) != digest:
            return False
        cache.put(name, source, digest)
        return True

    def framework_of(self, document: RunHeader) -> Framework:
        """The definition a run follows; a run standing in a phase it lacks is damaged."""
        framework = self.definition(document.framework.digest)
        if document.phase is not None and framework.phase(document.phase) is None:
            raise StoreError(
                f"{self.runs_dir / (document.id + '.json')}: phase: '{document.phase}' is not a "
                f"phase of its pinned definition ({', '.join(p.id for p in framework.phases)})",
                path=str(self.runs_dir / (document.id + ".json")),
            )
        return framework
