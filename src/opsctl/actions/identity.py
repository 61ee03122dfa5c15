"""Who is acting: recorded on every history event and approval."""

from __future__ import annotations

import getpass
import os

from opsctl.errors import UsageError
from opsctl.git.setup import git_output

ENV_USER = "OPSCTL_USER"


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
    email = git_output(None, "config", "user.email")
    if email:
        return email
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
