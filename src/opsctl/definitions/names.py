"""The names definitions and the configuration share: ids (slugs) and roles.

Kept apart from the framework models so that reading the configuration,
which every command does, does not create the framework's model classes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Ids are lowercase words of letters and digits joined by single hyphens."""

BUILTIN_ROLES: tuple[str, ...] = (
    "product-director",
    "product-manager",
    "operations",
    "development",
    "qa",
)
"""The roles the seed names; a workspace may declare more in its config."""

Slug = Annotated[
    str,
    Field(pattern=SLUG_PATTERN, min_length=1, max_length=64, examples=["release-management"]),
]
RoleName = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        max_length=64,
        description="A declared role: " + ", ".join(BUILTIN_ROLES) + " or one from the workspace.",
        examples=list(BUILTIN_ROLES),
    ),
]
