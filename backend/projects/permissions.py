"""The one permission matrix: which role may do what in a project (or organization)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"
    viewer = "viewer"


class Action(StrEnum):
    read = "read"  # see data, impulses, models, jobs; download artefacts
    write = "write"  # upload and edit data, design impulses, start and cancel jobs
    manage_team = "manage_team"  # invite, change roles, remove members
    manage_keys = "manage_keys"  # create and revoke API keys, see the HMAC key
    admin = "admin"  # rename, change settings
    delete = "delete"  # delete the project


RANK = {Role.viewer: 0, Role.member: 1, Role.admin: 2, Role.owner: 3}

MATRIX: dict[Role, frozenset[Action]] = {
    Role.viewer: frozenset({Action.read}),
    Role.member: frozenset({Action.read, Action.write}),
    Role.admin: frozenset({Action.read, Action.write, Action.manage_team, Action.manage_keys, Action.admin}),
    Role.owner: frozenset(Action),
}


def allows(role: Role | str | None, action: Action) -> bool:
    return role is not None and action in MATRIX[Role(role)]


def highest(*roles: str | None) -> Role | None:
    present = [Role(r) for r in roles if r]
    return max(present, key=RANK.__getitem__) if present else None
