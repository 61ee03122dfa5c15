"""What a read use case reads, as one digest: the key its kept answer is filed under.

Each function names every file its use case reads (by path and bytes) and
everything else its answer depends on (the date, the configuration), so any
change to one of them changes the digest and a kept answer is never used
stale (see :mod:`opsctl.cli.answers`). None means "do not keep this answer":
no workspace, an unreadable file or a malformed run id. The use case then
runs and reports what it finds, as it always does.

Nothing here imports a model: computing a digest must cost far less than
the use case it stands in for.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from opsctl.actions.session import Session
from opsctl.definitions.names import SLUG_PATTERN
from opsctl.errors import DefinitionError, StoreError
from opsctl.store.files import read_bytes

if TYPE_CHECKING:
    from opsctl.engine.selection import RunSelector

_PINNED_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class _Unreadable(Exception):
    """A file the use case would refuse: its answer is not kept."""


class _Sources:
    """A running SHA-256 over named values and files (path, then bytes or 'missing')."""

    def __init__(self, kind: str) -> None:
        self._hash = hashlib.sha256(kind.encode())

    def value(self, name: str, value: object) -> None:
        self._hash.update(f"\0{name}={value}".encode())

    def file(self, path: Path) -> bytes | None:
        """Add a file by path and bytes; None (and 'missing') when it does not exist."""
        self._hash.update(f"\0file={path}\0".encode())
        if not path.exists():
            self._hash.update(b"missing")
            return None
        try:
            raw = read_bytes(path)
        except (StoreError, OSError) as exc:
            raise _Unreadable(str(path)) from exc
        self._hash.update(f"{len(raw)}\0".encode() + raw)
        return raw

    def frameworks(self, session: Session) -> None:
        """The catalog's sources (:attr:`Session.framework_sources`), as the catalog cache uses.

        A framework file that cannot be read is left to the use case, which
        reports every such file at once.
        """
        try:
            self.value("frameworks", session.framework_sources)
        except DefinitionError as exc:
            raise _Unreadable(str(exc)) from exc

    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def catalog_source(session: Session) -> str | None:
    """What ``frameworks list`` reads: the framework files and the roles checked against."""
    sources = _Sources("catalog")
    try:
        sources.frameworks(session)
    except _Unreadable:
        return None
    return sources.digest()


def metrics_source(session: Session) -> str | None:
    """What ``metric list`` reads: the KPI definitions, the readings and today's date."""
    found = session.found_workspace
    if found is None:
        return None
    sources = _Sources("metrics")
    sources.value("today", session.today().isoformat())
    try:
        sources.frameworks(session)
        sources.file(found.dir / "metrics.json")
    except _Unreadable:
        return None
    return sources.digest()


def _every_run(session: Session, kind: str, selector: object) -> _Sources | None:
    """Every run and pinned definition (by file version), the date and the roster."""
    from opsctl.store.index import listing_fingerprint

    found = session.found_workspace
    listing = listing_fingerprint(found, session.today(), selector) if found else None
    if listing is None:
        return None
    sources = _Sources(kind)
    sources.value("listing", listing)
    sources.value("config", session.config_source)
    return sources


def runs_source(session: Session, selector: RunSelector | None) -> str | None:
    """What ``runs`` reads: every run and pinned definition (by file version) and the date.

    A selector is checked against the roster and, when it names one, the
    frameworks, so those are read too.
    """
    sources = _every_run(session, "runs", selector)
    if sources is None:
        return None
    try:
        if selector is not None and selector.framework is not None:
            sources.frameworks(session)
    except _Unreadable:
        return None
    return sources.digest()


def todo_source(session: Session, person: str | None) -> str | None:
    """What ``todo`` reads: every run, the roster, the date and whose work (default: yours)."""
    sources = _every_run(session, "todo", None)
    if sources is None:
        return None
    sources.value("person", person if person is not None else f"actor {session.actor}")
    return sources.digest()


def status_source(session: Session, run_id: str) -> str | None:
    """What ``status RUN`` reads: the run, its pinned definition, the catalog, people and date."""
    found = session.found_workspace
    if found is None or len(run_id) > 64 or not re.fullmatch(SLUG_PATTERN, run_id):
        return None
    sources = _Sources("status")
    sources.value("today", session.today().isoformat())
    try:
        sources.frameworks(session)
        raw = sources.file(found.runs_dir / f"{run_id}.json")
        digest = _pinned_digest(raw)
        if digest is None:
            return None
        sources.file(found.pinned_definition_path(digest))
    except _Unreadable:
        return None
    return sources.digest()


def _pinned_digest(raw: bytes | None) -> str | None:
    """The digest a run file names for its definition, if it plainly names a well-formed one."""
    import json

    try:
        document = json.loads(raw) if raw is not None else None
    except (ValueError, RecursionError):
        return None
    framework = document.get("framework") if isinstance(document, dict) else None
    digest = framework.get("digest") if isinstance(framework, dict) else None
    return digest if isinstance(digest, str) and _PINNED_DIGEST.fullmatch(digest) else None
