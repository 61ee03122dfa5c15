"""Read a workspace out of a git repository anywhere git can reach, through the git CLI.

A repository is cloned bare once into a cache folder (one per URL, named by
the digest of the URL) and fetched on later reads; the workspace is then
exported at a branch, tag or commit with ``git archive`` into a folder the
caller owns. No work tree of the repository is ever checked out and no hook
of it can run: a bare clone carries no hooks, and every call sets
``core.hooksPath`` to an empty folder anyway. Git never prompts (a source
that needs a password fails with git's own one-line reason).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from opsctl.errors import OpsctlError

GIT_SECONDS = 300
"""A clone or fetch slower than this is given up (the source is listed as unreachable)."""
_SAFE = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never"]


class SourceUnreadable(OpsctlError):
    """A repository could not be reached or the workspace in it not read; the one-line reason."""


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/opsctl/portfolio`` (``~/.cache/opsctl/portfolio`` by default)."""
    from opsctl.store.cache import user_cache_dir

    return user_cache_dir() / "portfolio"


def _git(args: list[str], git_dir: Path | None = None, text: bool = True) -> str | bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    where = ["--git-dir", str(git_dir)] if git_dir is not None else []
    try:
        done = subprocess.run(
            ["git", *_SAFE, *where, *args],
            capture_output=True,
            check=False,
            timeout=GIT_SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise SourceUnreadable(f"git {args[0]} took over {GIT_SECONDS} s") from None
    except OSError as exc:
        raise SourceUnreadable(f"git cannot be run: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line]
        fatal = [line for line in lines if line.startswith(("fatal: ", "error: "))]
        chosen = (fatal or lines or [f"exit {done.returncode}"])[0]
        reason = chosen.removeprefix("fatal: ").removeprefix("error: ")
        raise SourceUnreadable(reason)
    return done.stdout.decode("utf-8", "replace") if text else done.stdout


def mirror(url: str, cache: Path) -> Path:
    """The bare clone of ``url`` in ``cache``, cloned now or brought up to date with a fetch.

    Two opsctl processes reading the same URL take turns (a lock beside the clone).
    """
    from filelock import FileLock, Timeout

    bare = cache / hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{bare}.lock", timeout=GIT_SECONDS):
            _update(url, bare)
    except Timeout:
        raise SourceUnreadable(f"{bare} is locked by another opsctl") from None
    return bare


def _update(url: str, bare: Path) -> None:
    cache = bare.parent
    if not (bare / "HEAD").is_file():
        staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=cache))
        try:
            _git(["clone", "--bare", "--quiet", "--", url, str(staging / "repo")])
            shutil.rmtree(bare, ignore_errors=True)
            (staging / "repo").rename(bare)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return
    refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    _git(["fetch", "--quiet", "--prune", "--", url, *refspecs], bare)


def export(bare: Path, ref: str | None, folder: str, target: Path) -> str:
    """Write the workspace at ``ref`` (default: HEAD) and ``folder`` into ``target``; its commit.

    The archive is unpacked with the ``data`` filter: no links out of
    ``target``, no devices, no absolute or ``..`` paths.
    """
    wanted = ref or "HEAD"
    try:
        commit = str(_git(["rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}"], bare))
    except SourceUnreadable:
        raise SourceUnreadable(f"no branch, tag or commit '{wanted}'") from None
    commit = commit.strip()
    inside = folder.strip("/")
    opsctl_dir = f"{inside}/.opsctl" if inside else ".opsctl"
    try:
        data = _git(["archive", "--format=tar", commit, "--", opsctl_dir], bare, text=False)
    except SourceUnreadable:
        raise SourceUnreadable(f"no {opsctl_dir}/ at {wanted} ({commit[:12]})") from None
    assert isinstance(data, bytes)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter="data")
    return commit
