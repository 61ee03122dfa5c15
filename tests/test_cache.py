"""The derived cache (store/cache.py): the validated catalog is cached, and never lies."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from helpers import ok, run_main, two_phase_framework

CATALOG = Path(".opsctl/cache/catalog.pickle")


@pytest.fixture
def workspace(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ok(["init", "--team", "Checkout"], capsys)
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(
        two_phase_framework(), encoding="utf-8"
    )
    return isolated


def shown_title(capsys: pytest.CaptureFixture[str]) -> str:
    view = json.loads(ok(["frameworks", "show", "signed", "--format", "json"], capsys))
    return str(view["framework"]["title"])


def test_the_validated_catalog_is_cached_and_used(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert shown_title(capsys) == "Signed release"
    entry = workspace / CATALOG
    assert entry.is_file()
    stamp = entry.stat().st_mtime_ns
    assert shown_title(capsys) == "Signed release"
    assert entry.stat().st_mtime_ns == stamp, "a hit must not rewrite the entry"


def test_an_edited_framework_is_never_answered_from_the_cache(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown_title(capsys)
    path = workspace / ".opsctl" / "frameworks" / "signed.yaml"
    path.write_text(two_phase_framework().replace("Signed release", "Edited"), encoding="utf-8")
    assert shown_title(capsys) == "Edited"
    path.unlink()
    code, _, err = run_main(["frameworks", "show", "signed"], capsys)
    assert code == 2 and "unknown framework 'signed'" in err


def test_a_framework_with_errors_is_refused_every_time(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown_title(capsys)
    path = workspace / ".opsctl" / "frameworks" / "signed.yaml"
    path.write_text(two_phase_framework().replace("title: Plan", "titel: Plan"), encoding="utf-8")
    for _ in range(2):
        code, _, err = run_main(["frameworks", "list"], capsys)
        assert code == 2 and "signed.yaml" in err and "titel" in err


@pytest.mark.parametrize("damage", [b"", b"garbage", b"00\n" + pickle.dumps("x")])
def test_a_damaged_catalog_entry_is_rebuilt_silently(
    workspace: Path, capsys: pytest.CaptureFixture[str], damage: bytes
) -> None:
    shown_title(capsys)
    (workspace / CATALOG).write_bytes(damage)
    assert shown_title(capsys) == "Signed release"
    assert (workspace / CATALOG).read_bytes() != damage


def test_a_planted_pickle_is_never_unpickled(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A pickle committed to a repository would run code when loaded: its tag fails first."""
    shown_title(capsys)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(str(marker)))
    tag = (workspace / CATALOG).read_bytes().partition(b"\n")[0]
    (workspace / CATALOG).write_bytes(tag + b"\n" + payload)
    assert shown_title(capsys) == "Signed release"
    assert not marker.exists()


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, int]]:
        return (os.open, (self.path, os.O_CREAT | os.O_WRONLY))


def test_without_a_usable_key_nothing_is_cached(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from opsctl.store import cache

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cache._user_key.cache_clear()
    try:
        assert shown_title(capsys) == "Signed release"
        assert not (workspace / CATALOG).exists()
    finally:
        cache._user_key.cache_clear()


def test_an_entry_made_by_other_opsctl_code_misses(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade, or an edited checkout with the same version number, never reads old pickles."""
    from opsctl.store import cache

    shown_title(capsys)
    before = (workspace / CATALOG).read_bytes()
    monkeypatch.setattr(cache, "code_stamp", lambda: "other code")
    assert shown_title(capsys) == "Signed release"
    assert (workspace / CATALOG).read_bytes() != before, "the old entry was not used"


def kept_validations(workspace: Path) -> list[Path]:
    """The validated framework files ``opsctl validate FILE`` keeps, one per file version."""
    return sorted((workspace / ".opsctl" / "cache").glob("framework-*.pickle"))


def test_validate_reuses_a_file_validated_before_and_checks_every_edit(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workspace / "draft.yaml"
    path.write_text(two_phase_framework("draft"), encoding="utf-8")
    assert "1 file valid" in ok(["validate", str(path)], capsys)
    kept = kept_validations(workspace)
    assert len(kept) == 1
    stamp = kept[0].stat().st_mtime_ns
    assert "1 file valid" in ok(["validate", str(path)], capsys)
    assert kept[0].stat().st_mtime_ns == stamp, "a hit must not rewrite the entry"
    path.write_text(two_phase_framework("draft").replace("title: Plan", "titel: Plan"))
    for _ in range(2):  # a file with errors is never kept: refused every time
        code, _, err = run_main(["validate", str(path)], capsys)
        assert code == 2 and "draft.yaml" in err and "titel" in err
    assert kept_validations(workspace) == kept


def test_validate_keeps_nothing_it_could_be_fooled_by(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kept validation is checked against the file's bytes, its path and the roles."""
    path = workspace / "draft.yaml"
    text = two_phase_framework("draft").replace("owner: product-manager", "owner: data-steward")
    path.write_text(text, encoding="utf-8")
    code, _, err = run_main(["validate", str(path)], capsys)
    assert code == 2 and "data-steward" in err
    config = workspace / ".opsctl" / "config.yaml"
    original = config.read_text(encoding="utf-8")
    assert "roles: []\n" in original
    with_role = original.replace("roles: []\n", "roles: [data-steward]\n")
    config.write_text(with_role, encoding="utf-8")
    assert "1 file valid" in ok(["validate", str(path)], capsys)
    config.write_text(original, encoding="utf-8")  # the same bytes, checked against other roles
    code, _, err = run_main(["validate", str(path)], capsys)
    assert code == 2 and "data-steward" in err
    (kept,) = kept_validations(workspace)
    tag, _, payload = kept.read_bytes().partition(b"\n")
    forged = tag + b"\n" + payload.replace(b"draft", b"other")
    assert forged != kept.read_bytes()
    kept.write_bytes(forged)
    config.write_text(with_role, encoding="utf-8")
    assert "1 file valid" in ok(["validate", str(path)], capsys)
    assert kept.read_bytes() != forged, "the damaged entry was read again from the file"


def test_the_code_stamp_covers_modules_built_in_frameworks_and_templates() -> None:
    """Kept answers hash only a workspace's frameworks: the built-ins are in the stamp."""
    from opsctl.definitions.source import data_dir
    from opsctl.store import cache

    touched = [
        Path(cache.__file__),
        sorted(data_dir("frameworks").glob("*.yaml"))[0],
        sorted(path for path in data_dir("templates").rglob("*") if path.is_file())[0],
    ]
    for path in touched:
        info = path.stat()
        cache.code_stamp.cache_clear()
        before = cache.code_stamp()
        try:
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
            cache.code_stamp.cache_clear()
            assert cache.code_stamp() != before, path
        finally:
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
            cache.code_stamp.cache_clear()
    assert cache.code_stamp() == before
