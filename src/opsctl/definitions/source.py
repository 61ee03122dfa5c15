"""Reading a definition or configuration file safely: size-capped, regular files only, UTF-8.

Kept apart from the YAML loader so a command that reads only ``config.yaml``
does not pay for importing the framework loader.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from opsctl.errors import DefinitionError, Diagnostic

_PACKAGE_DIR = Path(__file__).resolve().parents[1]

MAX_FILE_BYTES = 8 * 1024 * 1024
"""Room for a 10,000-item framework with help texts (about 2 MiB); larger is a mistake."""


def _refuse(path: Path, message: str) -> DefinitionError:
    return DefinitionError([Diagnostic(str(path), None, None, message)])


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def _too_large(path: Path, size: int | None) -> DefinitionError:
    limit = _size(MAX_FILE_BYTES)
    if size is None:
        found = f"larger than {limit}"
    elif _size(size) == limit:
        found, limit = f"{size} bytes", f"{MAX_FILE_BYTES} bytes ({limit})"
    else:
        found = _size(size)
    return _refuse(path, f"file is {found}; framework files are limited to {limit}")


_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
}


def _read_bytes(path: Path) -> bytes:
    """At most MAX_FILE_BYTES of a regular file; devices, pipes and sockets are refused."""
    if path.is_dir():
        raise _refuse(path, "is a directory, not a file")
    # O_NONBLOCK: opening a named pipe must not wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(path, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a file")
            raise _refuse(path, f"not a regular file ({kind})")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(path, info.st_size)
        # st_size + 1 notices a file that grew since fstat; never past the limit + 1.
        raw = handle.read(info.st_size + 1)
        if len(raw) > info.st_size:
            raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(path, None)
    return raw


def read_text(path: Path) -> str:
    """The text of a definition file, or a DefinitionError saying why it cannot be read."""
    try:
        raw = _read_bytes(path)
    except OSError as exc:
        raise _refuse(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise DefinitionError(
            [
                Diagnostic(
                    str(path),
                    line,
                    column,
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                )
            ]
        ) from exc


def data_dir(name: str) -> Path:
    """A folder shipped with opsctl (``frameworks`` or ``templates``).

    An installed wheel carries it inside the package; a source checkout keeps
    it at the top of the repository.
    """
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parents[1] / name


def framework_files(folder: Path) -> list[Path]:
    """The definition files of a folder, in name order."""
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
