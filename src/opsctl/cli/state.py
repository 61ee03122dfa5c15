"""What every command shares: the global options and the session they select."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsctl.actions.session import Session
    from opsctl.definitions.catalog import Catalog
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace


class Options:
    """Global options, set once by the root callback."""

    workspace: Path | None = None
    debug: bool = False


options = Options()
_session: Session | None = None


def session() -> Session:
    """The session of this invocation: the workspace chosen by the global options."""
    global _session
    if _session is None:
        from opsctl.actions.session import Session

        _session = Session(options.workspace)
    return _session


def reset() -> None:
    """Forget the session (each CLI invocation, and tests, start clean)."""
    global _session
    _session = None


def workspace_or_none() -> Workspace | None:
    """The workspace in effect, if there is one."""
    return session().found_workspace


def workspace() -> Workspace:
    """The workspace in effect, or a UsageError saying how to create one."""
    return session().workspace


def roles() -> tuple[str, ...]:
    """Every role known here: built-in plus the workspace's."""
    return session().roles


def catalog() -> Catalog:
    """Built-in frameworks and the workspace's own."""
    return session().catalog


def store() -> RunStore:
    """The run store of the workspace in effect."""
    return session().runs
