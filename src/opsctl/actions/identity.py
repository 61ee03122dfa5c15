"""Who is acting: recorded on every history event and approval."""

from __future__ import annotations

import getpass
import os
import subprocess

from opsctl.errors import UsageError

ENV_USER = "OPSCTL_USER"


def _git_email() -> str | None:
    try:
        result = subprocess.run(
            ["git", "config", "user.email"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = result.stdout.strip()
    return email or None


def _readable(variable: str, value: str) -> str:
    """An identity as recorded in history: printable UTF-8 text on one line."""
    if any("\udc80" <= character <= "\udcff" for character in value):
        raise UsageError(f"{variable}: not valid UTF-8; set it to an email or user name")
    if not value.isprintable():
        raise UsageError(f"{variable}: control characters are not allowed in an identity")
    return value


def current_actor() -> str:
    """``OPSCTL_USER``, else the CI's user, else git's user.email, else the login name."""
    for variable in (ENV_USER, "GITHUB_ACTOR", "GITLAB_USER_EMAIL"):
        value = os.environ.get(variable, "").strip()
        if value:
            return _readable(variable, value)
    email = _git_email()
    if email:
        return email
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
