"""The workspace: a ``.opsctl/`` folder found like git finds ``.git``.

It holds the team's configuration, its own frameworks and templates, and the
store of runs and KPI readings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from opsctl.errors import InvalidField, UsageError

if TYPE_CHECKING:
    from opsctl.definitions.config import Config

DIRNAME = ".opsctl"
ENV_WORKSPACE = "OPSCTL_WORKSPACE"


class Workspace(NamedTuple):
    """A workspace rooted at the folder that contains ``.opsctl/``.

    A named tuple rather than a frozen dataclass, whose six generated
    methods would be compiled on every start-up.
    """

    root: Path

    @property
    def dir(self) -> Path:
        """The ``.opsctl`` folder itself."""
        return self.root / DIRNAME

    @property
    def config_path(self) -> Path:
        """Where the configuration lives."""
        return self.dir / "config.yaml"

    @property
    def frameworks_dir(self) -> Path:
        """The workspace's own framework files."""
        return self.dir / "frameworks"

    @property
    def templates_dir(self) -> Path:
        """The workspace's overrides of report templates."""
        return self.dir / "templates"

    @property
    def runs_dir(self) -> Path:
        """One JSON document per run."""
        return self.dir / "runs"

    @property
    def definitions_dir(self) -> Path:
        """The framework definitions runs are pinned to, one file per digest."""
        return self.dir / "definitions"

    def pinned_definition_path(self, digest: str) -> Path:
        """The file of the definition pinned under this digest (``sha256:HEX``)."""
        return self.definitions_dir / f"{digest.removeprefix('sha256:')}.json"

    def guard_output(self, output: Path) -> None:
        """Refuse to write a report over the store: ``--output`` must stay outside ``.opsctl/``."""
        target = output.resolve()
        if target == self.dir or self.dir in target.parents:
            raise InvalidField("output", f"{output}: inside {DIRNAME}/; write reports elsewhere")

    def config(self) -> Config:
        """The parsed configuration; errors name the file, line and field."""
        from opsctl.definitions.config import read_config

        return read_config(self.config_path)


def find_workspace(start: Path, explicit: Path | None = None) -> Workspace | None:
    """The workspace named explicitly (option or environment), else the nearest one up."""
    chosen = explicit or (
        Path(os.environ[ENV_WORKSPACE]) if os.environ.get(ENV_WORKSPACE) else None
    )
    if chosen is not None:
        root = chosen.parent if chosen.name == DIRNAME else chosen
        if not (root / DIRNAME).is_dir():
            raise UsageError(f"{root}: no {DIRNAME}/ workspace here; run 'opsctl init' there")
        return Workspace(root.resolve())
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / DIRNAME).is_dir():
            return Workspace(folder)
    return None


def init_workspace(root: Path, team: str = "") -> Workspace:
    """Create ``.opsctl/`` with a commented config; refuses if one exists."""
    import json

    from opsctl.definitions.config import CONFIG_TEMPLATE

    workspace = Workspace(root.resolve())
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: is a file, not a folder")
    if workspace.dir.exists():
        raise UsageError(f"{workspace.dir}: a workspace already exists here")
    workspace.runs_dir.mkdir(parents=True)
    workspace.frameworks_dir.mkdir()
    (workspace.frameworks_dir / ".gitkeep").touch()
    (workspace.runs_dir / ".gitkeep").touch()
    workspace.config_path.write_text(
        CONFIG_TEMPLATE.format(team=json.dumps(team, ensure_ascii=False)), encoding="utf-8"
    )
    (workspace.dir / ".gitignore").write_text("*.lock\n*.tmp\n", encoding="utf-8")
    return workspace
