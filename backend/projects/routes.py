"""JSON API for projects, members, invites, API keys and the audit log."""

from __future__ import annotations

from fastapi import APIRouter

from backend.audit import service as audit
from backend.core.deps import (
    AuthedPrincipal,
    CanDelete,
    CanManageKeys,
    CanManageTeam,
    CanRead,
    CanWrite,
    SessionDep,
    UserPrincipal,
)
from backend.projects import repository, service
from backend.projects.permissions import Role
from backend.projects.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditRead,
    InviteCreate,
    InviteCreated,
    ListOf,
    MemberRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    RoleUpdate,
)

router = APIRouter(prefix="/api", tags=["projects"])
ERRORS = {
    401: {"description": "Not signed in"},
    403: {"description": "Role too low"},
    404: {"description": "No such project"},
}


def _read(project, role) -> ProjectRead:  # type: ignore[no-untyped-def]
    out = ProjectRead.model_validate(project)
    out.role = Role(role) if role else None
    return out


@router.get("/projects", response_model=ListOf[ProjectRead])
def list_projects(session: SessionDep, principal: AuthedPrincipal) -> ListOf[ProjectRead]:
    projects = service.list_for(session, principal)
    data = [_read(p, repository.role_of(session, principal, p)) for p in projects]
    return ListOf(data=data, count=len(data))


@router.post("/projects", response_model=ProjectRead, status_code=201, responses=ERRORS)
def create_project(body: ProjectCreate, session: SessionDep, principal: UserPrincipal) -> ProjectRead:
    project = service.create(session, principal, body.name, body.description, org_id=body.org_id)
    return _read(project, "owner")


@router.get("/projects/{project_id}", response_model=ProjectRead, responses=ERRORS)
def get_project(ctx: CanRead) -> ProjectRead:
    return _read(ctx.project, ctx.role)


@router.patch("/projects/{project_id}", response_model=ProjectRead, responses=ERRORS)
def update_project(body: ProjectUpdate, ctx: CanWrite, session: SessionDep) -> ProjectRead:
    return _read(service.update(session, ctx, name=body.name, description=body.description), ctx.role)


@router.delete("/projects/{project_id}", status_code=204, responses=ERRORS)
def delete_project(ctx: CanDelete, session: SessionDep) -> None:
    service.delete(session, ctx)


@router.get("/projects/{project_id}/members", response_model=ListOf[MemberRead], responses=ERRORS)
def list_members(ctx: CanRead, session: SessionDep) -> ListOf[MemberRead]:
    rows = service.list_members(session, ctx)
    data = [MemberRead(user_id=u.id, email=u.email, name=u.name, role=r, via=via) for u, r, via in rows]
    return ListOf(data=data, count=len(data))


@router.put("/projects/{project_id}/members/{user_id}", status_code=204, responses=ERRORS)
def set_role(user_id: int, body: RoleUpdate, ctx: CanManageTeam, session: SessionDep) -> None:
    service.set_member_role(session, ctx, user_id, body.role)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204, responses=ERRORS)
def remove_member(user_id: int, ctx: CanManageTeam, session: SessionDep) -> None:
    service.remove_member(session, ctx, user_id)


@router.post(
    "/projects/{project_id}/invites", response_model=InviteCreated, status_code=201, responses=ERRORS
)
def create_invite(body: InviteCreate, ctx: CanManageTeam, session: SessionDep) -> InviteCreated:
    invite, token = service.create_invite(
        session, ctx, body.role, email=body.email, days_valid=body.days_valid
    )
    return InviteCreated(
        id=invite.id, role=body.role, url=service.invite_url(token), token=token, expires_at=invite.expires_at
    )


@router.post("/invites/{token}/accept", response_model=ProjectRead, responses=ERRORS)
def accept_invite(token: str, session: SessionDep, principal: UserPrincipal) -> ProjectRead:
    invite = service.accept_invite(session, principal, token)
    ctx = service.get_context(session, principal, invite.project_id) if invite.project_id else None
    if ctx is None:
        from backend.core.errors import NotFound

        raise NotFound("Organization invites are accepted; open the organization.")
    return _read(ctx.project, ctx.role)


@router.get("/projects/{project_id}/keys", response_model=ListOf[ApiKeyRead], responses=ERRORS)
def list_keys(ctx: CanManageKeys, session: SessionDep) -> ListOf[ApiKeyRead]:
    keys = [ApiKeyRead.model_validate(k) for k in service.list_api_keys(session, ctx)]
    return ListOf(data=keys, count=len(keys))


@router.post("/projects/{project_id}/keys", response_model=ApiKeyCreated, status_code=201, responses=ERRORS)
def create_key(body: ApiKeyCreate, ctx: CanManageKeys, session: SessionDep) -> ApiKeyCreated:
    key, raw = service.create_api_key(session, ctx, body.name, body.role)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=raw)


@router.delete("/projects/{project_id}/keys/{key_id}", status_code=204, responses=ERRORS)
def revoke_key(key_id: int, ctx: CanManageKeys, session: SessionDep) -> None:
    service.revoke_api_key(session, ctx, key_id)


@router.get("/projects/{project_id}/hmac-key", responses=ERRORS)
def hmac_key(ctx: CanManageKeys) -> dict[str, str]:
    return {"hmac_key": ctx.project.hmac_key}


@router.get("/projects/{project_id}/audit", response_model=ListOf[AuditRead], responses=ERRORS)
def audit_log(ctx: CanManageTeam, session: SessionDep) -> ListOf[AuditRead]:
    events = [AuditRead.model_validate(e) for e in audit.list_for_project(session, ctx.project.id)]
    return ListOf(data=events, count=len(events))
