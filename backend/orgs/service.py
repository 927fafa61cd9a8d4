"""Organization business logic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.errors import InvalidInput, NotFound, PermissionDenied
from backend.core.principal import Principal
from backend.orgs.models import Organization, OrgMember
from backend.projects.permissions import RANK, Role


def create(session: Session, principal: Principal, name: str) -> Organization:
    if principal.user is None:
        raise PermissionDenied("Only a signed-in user can create organizations.")
    if not name.strip():
        raise InvalidInput("Give the organization a name.", field="name")
    org = Organization(name=name.strip())
    session.add(org)
    session.flush()
    session.add(OrgMember(org_id=org.id, user_id=principal.user.id, role=Role.owner))
    audit.record(session, principal, "org.create", org_id=org.id, name=org.name)
    session.flush()
    return org


def list_for(session: Session, principal: Principal) -> list[tuple[Organization, Role]]:
    if principal.user is None:
        return []
    rows = session.execute(
        select(Organization, OrgMember.role)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == principal.user.id)
        .order_by(Organization.name)
    ).all()
    return [(o, Role(r)) for o, r in rows]


def role_in(session: Session, principal: Principal, org_id: int) -> Role | None:
    if principal.user is None:
        return None
    role = session.scalar(
        select(OrgMember.role).where(OrgMember.org_id == org_id, OrgMember.user_id == principal.user.id)
    )
    return Role(role) if role else None


def require_role(session: Session, principal: Principal, org_id: int, minimum: Role) -> Organization:
    org = session.get(Organization, org_id)
    role = role_in(session, principal, org_id)
    if org is None or role is None:
        raise NotFound(f"Organization {org_id} not found.")
    if RANK[role] < RANK[minimum]:
        raise PermissionDenied(f"Your role in this organization ({role.value}) is not enough.")
    return org


def add_member(session: Session, org_id: int, user_id: int, role: Role) -> None:
    if session.get(Organization, org_id) is None:
        raise NotFound(f"Organization {org_id} not found.")
    existing = session.scalar(
        select(OrgMember).where(OrgMember.org_id == org_id, OrgMember.user_id == user_id)
    )
    if existing is None:
        session.add(OrgMember(org_id=org_id, user_id=user_id, role=role))
        session.flush()
