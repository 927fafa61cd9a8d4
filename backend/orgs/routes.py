"""JSON API for organizations."""

from __future__ import annotations

from fastapi import APIRouter

from backend.core.deps import SessionDep, UserPrincipal
from backend.orgs import service
from backend.orgs.schemas import OrgCreate, OrgRead
from backend.projects.permissions import Role
from backend.projects.schemas import ListOf

router = APIRouter(prefix="/api/orgs", tags=["organizations"])


@router.get("", response_model=ListOf[OrgRead])
def list_orgs(session: SessionDep, principal: UserPrincipal) -> ListOf[OrgRead]:
    rows = service.list_for(session, principal)
    data = [OrgRead(id=o.id, name=o.name, role=r, created_at=o.created_at) for o, r in rows]
    return ListOf(data=data, count=len(data))


@router.post("", response_model=OrgRead, status_code=201)
def create_org(body: OrgCreate, session: SessionDep, principal: UserPrincipal) -> OrgRead:
    org = service.create(session, principal, body.name)
    return OrgRead(id=org.id, name=org.name, role=Role.owner, created_at=org.created_at)
