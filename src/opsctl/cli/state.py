"""What every command shares: the global options, the workspace and the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from opsctl.errors import UsageError

if TYPE_CHECKING:
    from opsctl.definitions.catalog import Catalog
    from opsctl.definitions.model import Framework
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

DIRNAME = ".opsctl"


@dataclass
class Options:
    """Global options, set once by the root callback."""

    workspace: Path | None = None
    debug: bool = False


options = Options()


@cache
def workspace_or_none() -> Workspace | None:
    """The workspace in effect, if there is one."""
    from opsctl.store.workspace import find_workspace

    return find_workspace(Path.cwd(), options.workspace)


def workspace() -> Workspace:
    """The workspace in effect, or a UsageError saying how to create one."""
    found = workspace_or_none()
    if found is None:
        raise UsageError(
            f"not inside an opsctl workspace (no {DIRNAME}/ here or in any parent folder); "
            "run 'opsctl init' to create one, or pass --workspace PATH"
        )
    return found


@cache
def roles() -> tuple[str, ...]:
    """Every role known here: built-in plus the workspace's."""
    found = workspace_or_none()
    from opsctl.definitions.model import BUILTIN_ROLES

    return found.config().all_roles() if found else BUILTIN_ROLES


@cache
def catalog() -> Catalog:
    """Built-in frameworks and the workspace's own."""
    from opsctl.definitions.catalog import load_catalog

    found = workspace_or_none()
    return load_catalog(found.frameworks_dir if found else None, roles())


def reset() -> None:
    """Forget cached state (each CLI invocation, and tests, start clean)."""
    workspace_or_none.cache_clear()
    roles.cache_clear()
    catalog.cache_clear()
    store.cache_clear()


@cache
def store() -> RunStore:
    """The run store of the workspace in effect."""
    from opsctl.store.runs import RunStore

    return RunStore(workspace())


def current_digest(framework_id: str) -> str | None:
    """The digest of a framework's current definition, if it still exists."""
    from opsctl.definitions.model import definition_digest

    entry = catalog().entries.get(framework_id)
    return definition_digest(entry.framework) if entry else None


def guard_owner(framework: Framework, ref: str) -> None:
    """Refuse (exit 1) a change by someone not holding the item's owner role, if enforced."""
    from opsctl.actions.identity import current_actor
    from opsctl.engine.approvals import check_owner
    from opsctl.engine.runs import resolve_item

    config = workspace().config()
    _, item = resolve_item(framework, ref)
    check_owner(item, current_actor(), config.people, config.defaults.enforce_owner)
