"""What every use case works in: the workspace, its configuration, catalog and stores.

A :class:`Session` is made once per command (or per library call) and loads
each part only when a use case first asks for it, so a command pays only for
what it uses. It also says who is acting and what time it is, so a use case
never reads the environment itself.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from opsctl import clock
from opsctl.errors import UsageError

if TYPE_CHECKING:
    from opsctl.definitions.catalog import Catalog
    from opsctl.definitions.config import Config
    from opsctl.definitions.model import Framework
    from opsctl.store.cache import DerivedCache
    from opsctl.store.metrics import MetricsStore
    from opsctl.store.reviews import ReviewStore
    from opsctl.store.runs import RunStore
    from opsctl.store.workspace import Workspace

DIRNAME = ".opsctl"


def frameworks_digest(folders: list[Path], context: str) -> str:
    """The digest of every framework file in these folders (path and text) and of ``context``.

    A cache keyed by it misses on any edited, added or removed file. The
    built-in frameworks need not be passed: every cache entry's tag names
    the code stamp (:func:`opsctl.store.cache.code_stamp`), which covers them.
    """
    from opsctl.definitions.source import framework_files, read_text
    from opsctl.store.cache import content_digest

    parts = [context.encode()]
    for path in (path for folder in folders for path in framework_files(folder)):
        parts += [str(path).encode(), read_text(path).encode("utf-8")]
    return content_digest(b"\0".join(parts))


class Session:
    """The workspace a use case acts on (found from ``cwd`` unless ``workspace_path`` is given)."""

    def __init__(self, workspace_path: Path | None = None, cwd: Path | None = None) -> None:
        self.workspace_path = workspace_path
        self.cwd = Path.cwd() if cwd is None else cwd

    def __repr__(self) -> str:
        return f"Session(workspace_path={self.workspace_path!r}, cwd={self.cwd!r})"

    @cached_property
    def found_workspace(self) -> Workspace | None:
        """The workspace in effect, if there is one."""
        from opsctl.store.workspace import find_workspace

        return find_workspace(self.cwd, self.workspace_path)

    @cached_property
    def workspace(self) -> Workspace:
        """The workspace in effect, or a UsageError saying how to create one.

        Its configuration is read here, so a command never acts on a
        workspace whose config.yaml it cannot read (fail closed).
        """
        found = self.found_workspace
        if found is None:
            raise UsageError(
                f"not inside an opsctl workspace (no {DIRNAME}/ here or in any parent folder); "
                "run 'opsctl init' to create one, or pass --workspace PATH"
            )
        if self.cache.get_json_bytes("config", self.config_source) is None:
            _ = self.config
        return found

    @cached_property
    def config_source(self) -> str:
        """The digest of ``config.yaml``'s text (of nothing, when there is none).

        Only a configuration that passed validation is cached under it, so a
        command that needs no setting learns the file is valid from the
        cache alone, without creating the configuration's model classes.
        """
        from opsctl.definitions.source import read_text
        from opsctl.store.cache import content_digest

        found = self.found_workspace
        if found is None or not found.config_path.exists():
            return content_digest(b"")
        return content_digest(read_text(found.config_path).encode("utf-8"))

    @cached_property
    def config(self) -> Config:
        """The workspace's configuration (the default one outside a workspace).

        The validated configuration is cached under the digest of the file's
        bytes, so most commands skip the YAML parser; any change to the file
        is a miss, and the file itself is always what is checked.
        """
        from opsctl.definitions.config import Config, read_config

        found = self.found_workspace
        if found is None or not found.config_path.exists():
            return Config()
        source = self.config_source
        cached = self.cache.get("config", source)
        if cached is not None:
            try:
                return Config.model_validate(cached)
            except ValueError:
                pass
        config = read_config(found.config_path)
        self.cache.put("config", source, config.model_dump(mode="json"))
        return config

    @cached_property
    def cache(self) -> DerivedCache:
        """Where derived data is kept: the workspace's cache, else the user's (built-ins only)."""
        from opsctl.store.cache import DerivedCache

        found = self.found_workspace
        return DerivedCache(found.dir) if found else DerivedCache.of_user()

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """Every role known here: built-in plus the workspace's."""
        return self.config.all_roles()

    @cached_property
    def catalog(self) -> Catalog:
        """Built-in frameworks and the workspace's own.

        The validated catalog is cached under the digest of every framework
        file (see :meth:`framework_sources`), so an unchanged catalog is not
        parsed and validated again; files with errors are never cached.
        """
        from opsctl.definitions.catalog import Catalog, load_catalog

        source = self.framework_sources
        cached = self.cache.get_object("catalog", source)
        if isinstance(cached, Catalog):
            return cached
        found = self.found_workspace
        catalog = load_catalog(found.frameworks_dir if found else None, self.roles)
        self.cache.put_object("catalog", source, catalog)
        return catalog

    @cached_property
    def framework_sources(self) -> str:
        """The digest of the workspace's framework files (path and bytes) and its configuration.

        Any edited, added or removed file changes it, and so does an edit of
        ``config.yaml`` (the roles the files are checked against), so every
        cache keyed by it misses and the catalog is loaded from the files.
        The built-in frameworks are covered by every entry's code stamp.
        """
        found = self.found_workspace
        return frameworks_digest([found.frameworks_dir] if found else [], self.config_source)

    @cached_property
    def runs(self) -> RunStore:
        """The run store of the workspace."""
        from opsctl.store.runs import RunStore

        return RunStore(self.workspace)

    @cached_property
    def metrics(self) -> MetricsStore:
        """The KPI readings of the workspace."""
        from opsctl.store.metrics import MetricsStore

        return MetricsStore(self.workspace)

    @cached_property
    def reviews(self) -> ReviewStore:
        """The record of reviews held in the workspace."""
        from opsctl.store.reviews import ReviewStore

        return ReviewStore(self.workspace)

    @cached_property
    def actor(self) -> str:
        """Who is acting (see :func:`opsctl.actions.identity.current_actor`)."""
        from opsctl.actions.identity import current_actor

        return current_actor()

    def now(self) -> dt.datetime:
        """The current time (``OPSCTL_NOW`` when set)."""
        return clock.now()

    def today(self) -> dt.date:
        """The current date (``OPSCTL_NOW`` when set)."""
        return clock.today()

    def current_digest(self, framework_id: str) -> str | None:
        """The digest of a framework's current definition, if it still exists.

        ``status`` asks this of every run; the digests are cached under the
        digest of every framework file's bytes (and the roles they were
        checked against), so an unchanged catalog is not parsed again. Any
        edited, added or removed file misses, and the catalog is loaded.
        """
        return self._definition_digests().get(framework_id)

    def _definition_digests(self) -> dict[str, str]:
        source = self.framework_sources
        cached = self.cache.get("definition-digests", source)
        if isinstance(cached, dict) and all(isinstance(v, str) for v in cached.values()):
            return cached
        from opsctl.definitions.model import definition_digest

        digests = {
            framework_id: definition_digest(entry.framework)
            for framework_id, entry in self.catalog.entries.items()
        }
        self.cache.put("definition-digests", source, digests)
        return digests

    def guard_owner(self, framework: Framework, ref: str) -> None:
        """Refuse (exit 1) a change by someone not holding the item's owner role, if enforced."""
        from opsctl.engine.approvals import check_owner
        from opsctl.engine.runs import resolve_item

        _, item = resolve_item(framework, ref)
        config = self.config
        check_owner(item, self.actor, config.people, config.defaults.enforce_owner)
