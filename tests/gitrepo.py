"""Real git repositories for tests: commits, merges, tags and reverts at fixed times."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
NO_SIGNING = ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]


class Repo:
    """A repository whose every commit, tag and merge has the time it is given (UTC)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.count = 0

    def git(self, *args: str, at: str | None = None) -> str:
        env = {**os.environ, **IDENTITY}
        if at is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{at} +0000"
        done = subprocess.run(
            ["git", *NO_SIGNING, *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, message: str, at: str) -> str:
        """A commit changing one file; returns its sha."""
        self.count += 1
        (self.path / f"file{self.count}.txt").write_text(message + "\n")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, at=at)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, at: str, *, annotated: bool = True, commit: str = "HEAD") -> None:
        """An annotated tag (tagger date ``at``) or a lightweight one."""
        if annotated:
            self.git("tag", "-a", name, "-m", name, commit, at=at)
        else:
            self.git("tag", name, commit)

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, branch: str, at: str) -> str:
        """A merge commit (never a fast-forward); returns its sha."""
        self.git("merge", "-q", "--no-ff", branch, "-m", f"Merge {branch}", at=at)
        return self.git("rev-parse", "HEAD")

    def revert(self, sha: str, at: str) -> str:
        """``git revert`` of a commit; its message says 'This reverts commit <sha>.'"""
        self.git("revert", "--no-edit", sha, at=at)
        return self.git("rev-parse", "HEAD")


def release_history(path: Path) -> tuple[Repo, dict[str, str]]:
    """The repository the collection tests work figures out by hand (see test_collect.py)."""
    repo = Repo(path)
    shas = {"c1": repo.commit("init", "2026-10-20T10:00:00")}
    repo.tag("v0.9", "2026-10-25T10:00:00")
    shas["c2"] = repo.commit("feature a", "2026-11-02T08:00:00")
    shas["c3"] = repo.commit("feature b", "2026-11-02T20:00:00")
    repo.tag("v1.0", "2026-11-03T08:00:00")
    repo.tag("docs-1", "2026-11-03T09:00:00")  # matches no pattern
    repo.branch("topic")
    shas["c4"] = repo.commit("feature c", "2026-11-04T10:00:00")
    repo.checkout("main")
    shas["m1"] = repo.merge("topic", "2026-11-05T10:00:00")
    repo.tag("v1.1", "2026-11-06T10:00:00")
    shas["r1"] = repo.revert(shas["c4"], "2026-11-07T10:00:00")
    repo.tag("v1.2", "2026-11-07T16:00:00")
    shas["c5"] = repo.commit("feature d", "2026-11-20T10:00:00")
    repo.tag("v1.3", "2026-11-20T12:00:00")
    shas["c6"] = repo.commit("fix d", "2026-11-21T11:00:00")
    repo.tag("v1.3.1-hotfix", "2026-11-21T12:00:00")
    return repo, shas
