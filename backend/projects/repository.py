"""Project queries, already scoped to what a principal may see (authorization lives in the query)."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.orgs.models import OrgMember
from backend.projects.models import Project, ProjectMember
from backend.projects.permissions import Role, highest


def readable_statement(principal: Principal) -> Select[tuple[Project]]:
    stmt = select(Project)
    if principal.api_key is not None:
        return stmt.where(Project.id == principal.api_key.project_id)
    if principal.user is None:
        return stmt.where(Project.id.is_(None))
    if principal.user.is_superuser:
        return stmt
    uid = principal.user.id
    direct = select(ProjectMember.project_id).where(ProjectMember.user_id == uid)
    via_org = select(OrgMember.org_id).where(OrgMember.user_id == uid)
    return stmt.where(or_(Project.id.in_(direct), Project.org_id.in_(via_org)))


def get_readable(session: Session, principal: Principal, project_id: int) -> Project | None:
    return session.scalar(readable_statement(principal).where(Project.id == project_id))


def role_of(session: Session, principal: Principal, project: Project) -> Role | None:
    if principal.api_key is not None:
        return Role(principal.api_key.role) if principal.api_key.project_id == project.id else None
    if principal.user is None:
        return None
    if principal.user.is_superuser:
        return Role.owner
    direct = session.scalar(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == principal.user.id
        )
    )
    via_org = None
    if project.org_id is not None:
        via_org = session.scalar(
            select(OrgMember.role).where(
                OrgMember.org_id == project.org_id, OrgMember.user_id == principal.user.id
            )
        )
    return highest(direct, via_org)
