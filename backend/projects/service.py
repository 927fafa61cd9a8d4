"""Project business logic: create, find with a permission check, members, invites and API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import bindparam, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.auth.models import User
from backend.core.config import get_settings
from backend.core.db import utcnow
from backend.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from backend.core.principal import Principal
from backend.core.security import new_token, token_hash
from backend.orgs import service as orgs
from backend.orgs.models import OrgMember
from backend.projects import repository
from backend.projects.models import ApiKey, Invite, Project, ProjectMember
from backend.projects.permissions import Action, Role, allows


@dataclass(frozen=True)
class ProjectContext:
    """A project together with the acting principal's role in it (what routes receive)."""

    project: Project
    role: Role
    principal: Principal

    def can(self, action: Action) -> bool:
        return allows(self.role, action)


def _new_deploy_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return raw.hex()


def create(
    session: Session, principal: Principal, name: str, description: str = "", *, org_id: int | None = None
) -> Project:
    if principal.user is None:
        raise PermissionDenied("Only a signed-in user can create projects.")
    name = name.strip()
    if not name:
        raise InvalidInput("Give the project a name.", field="name")
    if org_id is not None:
        orgs.require_role(session, principal, org_id, Role.member)
    project = Project(
        name=name,
        description=description.strip(),
        owner_user_id=principal.user.id,
        org_id=org_id,
        hmac_key=secrets.token_hex(16),
        deploy_key=_new_deploy_key(),
        settings={},
    )
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=principal.user.id, role=Role.owner))
    audit.record(session, principal, "project.create", project_id=project.id, name=name)
    session.flush()
    return project


def list_for(session: Session, principal: Principal) -> list[Project]:
    return list(session.scalars(repository.readable_statement(principal).order_by(Project.id)))


def get_context(
    session: Session, principal: Principal, project_id: int, action: Action = Action.read
) -> ProjectContext:
    """Load a project the principal may see and check one action; an unreadable project is a 404."""
    project = repository.get_readable(session, principal, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} not found.")
    role = repository.role_of(session, principal, project)
    if role is None:
        raise NotFound(f"Project {project_id} not found.")
    if not allows(role, action):
        raise PermissionDenied(
            f"Your role ({role.value}) cannot {action.value.replace('_', ' ')} in this project."
        )
    return ProjectContext(project=project, role=role, principal=principal)


def update(session: Session, ctx: ProjectContext, *, name: str | None, description: str | None) -> Project:
    if name is not None:
        if not name.strip():
            raise InvalidInput("Give the project a name.", field="name")
        ctx.project.name = name.strip()
    if description is not None:
        ctx.project.description = description.strip()
    audit.record(session, ctx.principal, "project.update", project_id=ctx.project.id)
    session.flush()
    return ctx.project


def delete(session: Session, ctx: ProjectContext) -> None:
    audit.record(session, ctx.principal, "project.delete", project_id=None, project=ctx.project.id)
    session.delete(ctx.project)
    session.flush()


# Members ---------------------------------------------------------------------------------------


def list_members(session: Session, ctx: ProjectContext) -> list[tuple[User, Role, str]]:
    rows = session.execute(
        select(User, ProjectMember.role)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == ctx.project.id)
        .order_by(User.email)
    ).all()
    members = [(u, Role(r), "project") for u, r in rows]
    if ctx.project.org_id is not None:
        seen = {u.id for u, _, _ in members}
        for u, r in session.execute(
            select(User, OrgMember.role)
            .join(OrgMember, OrgMember.user_id == User.id)
            .where(OrgMember.org_id == ctx.project.org_id)
        ).all():
            if u.id not in seen:
                members.append((u, Role(r), "organization"))
    return members


def _owner_count(session: Session, project_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                ProjectMember.project_id == project_id, ProjectMember.role == Role.owner
            )
        )
        or 0
    )


def set_member_role(session: Session, ctx: ProjectContext, user_id: int, role: Role) -> None:
    member = session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == ctx.project.id, ProjectMember.user_id == user_id
        )
    )
    if member is None:
        raise NotFound(f"User {user_id} is not a member of this project.")
    if role == Role.owner and ctx.role != Role.owner:
        raise PermissionDenied("Only an owner can make someone an owner.")
    if member.role == Role.owner and ctx.role != Role.owner:
        raise PermissionDenied("Only an owner can change an owner's role.")
    if member.role == Role.owner and role != Role.owner and _owner_count(session, ctx.project.id) <= 1:
        raise Conflict("A project needs at least one owner.")
    member.role = role
    audit.record(
        session, ctx.principal, "member.role", project_id=ctx.project.id, user_id=user_id, role=role.value
    )
    session.flush()


def remove_member(session: Session, ctx: ProjectContext, user_id: int) -> None:
    member = session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == ctx.project.id, ProjectMember.user_id == user_id
        )
    )
    if member is None:
        raise NotFound(f"User {user_id} is not a member of this project.")
    if member.role == Role.owner and _owner_count(session, ctx.project.id) <= 1:
        raise Conflict("A project needs at least one owner.")
    session.delete(member)
    audit.record(session, ctx.principal, "member.remove", project_id=ctx.project.id, user_id=user_id)
    session.flush()


# Invites ---------------------------------------------------------------------------------------


def create_invite(
    session: Session, ctx: ProjectContext, role: Role, *, email: str | None = None, days_valid: int = 7
) -> tuple[Invite, str]:
    if role == Role.owner and ctx.role != Role.owner:
        raise PermissionDenied("Only an owner can invite another owner.")
    token = new_token("mfi_")
    invite = Invite(
        token_hash=token_hash(token),
        project_id=ctx.project.id,
        role=role,
        email=email.strip().lower() if email else None,
        created_by_id=ctx.principal.user_id,
        expires_at=utcnow() + timedelta(days=days_valid),
    )
    session.add(invite)
    session.flush()
    audit.record(session, ctx.principal, "invite.create", project_id=ctx.project.id, role=role.value)
    return invite, token


def invite_url(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/invites/{token}"


def find_invite(session: Session, token: str) -> Invite:
    invite = session.scalar(select(Invite).where(Invite.token_hash == token_hash(token)))
    if invite is None or invite.revoked:
        raise NotFound("This invite link is not valid.")
    if invite.accepted_at is not None:
        raise Conflict("This invite link has already been used.")
    if invite.expires_at < utcnow():
        raise Conflict("This invite link has expired; ask for a new one.")
    return invite


def accept_invite(session: Session, principal: Principal, token: str) -> Invite:
    if principal.user is None:
        raise PermissionDenied("Sign in to accept an invite.")
    invite = find_invite(session, token)
    if invite.email and invite.email != principal.user.email:
        raise PermissionDenied(f"This invite is for {invite.email}.")
    if invite.project_id is not None:
        existing = session.scalar(
            select(ProjectMember).where(
                ProjectMember.project_id == invite.project_id, ProjectMember.user_id == principal.user.id
            )
        )
        if existing is None:
            session.add(
                ProjectMember(project_id=invite.project_id, user_id=principal.user.id, role=invite.role)
            )
        audit.record(session, principal, "invite.accept", project_id=invite.project_id, role=invite.role)
    elif invite.org_id is not None:
        orgs.add_member(session, invite.org_id, principal.user.id, Role(invite.role))
        audit.record(session, principal, "invite.accept", org_id=invite.org_id, role=invite.role)
    invite.accepted_by_id = principal.user.id
    invite.accepted_at = utcnow()
    session.flush()
    return invite


# API keys --------------------------------------------------------------------------------------


def create_api_key(
    session: Session, ctx: ProjectContext, name: str, role: Role = Role.member
) -> tuple[ApiKey, str]:
    if role == Role.owner:
        raise InvalidInput("An API key cannot be an owner.", field="role")
    raw = new_token("mf_")
    key = ApiKey(
        project_id=ctx.project.id,
        name=name.strip() or "API key",
        prefix=raw[:10],
        key_hash=token_hash(raw),
        role=role,
        created_by_id=ctx.principal.user_id,
    )
    session.add(key)
    session.flush()
    audit.record(session, ctx.principal, "apikey.create", project_id=ctx.project.id, key_id=key.id)
    return key, raw


def list_api_keys(session: Session, ctx: ProjectContext) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.project_id == ctx.project.id).order_by(ApiKey.id))
    )


def revoke_api_key(session: Session, ctx: ProjectContext, key_id: int) -> None:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.project_id == ctx.project.id))
    if key is None:
        raise NotFound(f"API key {key_id} not found.")
    key.revoked = True
    audit.record(session, ctx.principal, "apikey.revoke", project_id=ctx.project.id, key_id=key_id)
    session.flush()


def key_context(session: Session, raw: str, action: Action) -> tuple[ApiKey, ProjectContext]:
    """The project an API key belongs to, with ``action`` checked, in one query (the ingestion hot path).

    The same rules as ``authenticate_api_key`` + ``get_context`` for a key principal: a revoked or unknown
    key is not authenticated, and the key's role is its role in its own project."""
    row = session.execute(
        select(ApiKey, Project)
        .join(Project, Project.id == ApiKey.project_id)
        .where(ApiKey.key_hash == token_hash(raw.strip()))
    ).first()
    if row is None or row[0].revoked:
        raise NotAuthenticated("Invalid or revoked API key.")
    key, project = row
    key.last_used_at = utcnow()
    role = Role(key.role)
    if not allows(role, action):
        raise PermissionDenied(f"This API key's role ({role.value}) cannot {action.value.replace('_', ' ')}.")
    return key, ProjectContext(project=project, role=role, principal=Principal(api_key=key))


@dataclass(frozen=True)
class KeyCheck:
    """An API key as it is now: its id, project, role and that project's HMAC key."""

    key_id: int
    project_id: int
    role: Role
    hmac_key: str | None


def _key_check_statements() -> tuple[Any, Any]:
    keys, projects = ApiKey.__table__.c, Project.__table__.c
    lookup = (
        select(keys.id, keys.project_id, keys.role, keys.revoked, keys.last_used_at, projects.hmac_key)
        .join_from(ApiKey.__table__, Project.__table__, projects.id == keys.project_id)
        .where(keys.key_hash == bindparam("key_hash"))
    )
    touch = (
        sql_update(ApiKey.__table__)
        .where(keys.id == bindparam("key_id"))
        .values(last_used_at=bindparam("now"))
    )
    return lookup, touch


_KEY_LOOKUP, _KEY_TOUCH = (
    _key_check_statements()
)  # built once: constructing a statement costs more than running it


def check_key(session: Session, raw: str, action: Action, *, touch_after: timedelta) -> KeyCheck:
    """``key_context``'s rules with plain columns, for a writer that re-checks keys in its transaction.

    The key's last-used time is written only when it is older than ``touch_after``."""
    row = session.execute(_KEY_LOOKUP, {"key_hash": token_hash(raw.strip())}).first()
    if row is None or row.revoked:
        raise NotAuthenticated("Invalid or revoked API key.")
    role = Role(row.role)
    if not allows(role, action):
        raise PermissionDenied(f"This API key's role ({role.value}) cannot {action.value.replace('_', ' ')}.")
    now = utcnow()
    # SQLite hands back naive datetimes; both are UTC.
    if (
        row.last_used_at is None
        or now.replace(tzinfo=None) - row.last_used_at.replace(tzinfo=None) >= touch_after
    ):
        session.execute(_KEY_TOUCH, {"key_id": row.id, "now": now})
    return KeyCheck(row.id, row.project_id, role, row.hmac_key)


def authenticate_api_key(session: Session, raw: str) -> ApiKey | None:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == token_hash(raw.strip())))
    if key is None or key.revoked:
        return None
    key.last_used_at = utcnow()
    return key


def by_name(session: Session, name: str) -> Project:
    """Admin lookup for the CLI (works on the configured database, no principal)."""
    project = session.scalar(select(Project).where(Project.name == name).order_by(Project.id))
    if project is None:
        if name.isdigit() and (p := session.get(Project, int(name))):
            return p
        raise NotFound(f"No project named {name!r}.")
    return project
