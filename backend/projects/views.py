"""Pages: the project list, a project's overview, its team (members, invites, API keys, audit log)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from backend.audit import service as audit
from backend.core.deps import CanManageKeys, CanManageTeam, CanRead, PrincipalDep, SessionDep, UserPrincipal
from backend.core.errors import DomainError
from backend.core.htmx import redirect, refresh
from backend.core.templates import render
from backend.jobs import service as jobs
from backend.orgs import service as orgs
from backend.projects import repository, service
from backend.projects.permissions import Action, Role

router = APIRouter(include_in_schema=False)


@router.get("/projects")
def projects_page(request: Request, session: SessionDep, principal: UserPrincipal) -> Response:
    projects = [(p, repository.role_of(session, principal, p)) for p in service.list_for(session, principal)]
    return render(
        request,
        "projects/list.html",
        {"projects": projects, "orgs": orgs.list_for(session, principal), "errors": {}, "form": {}},
    )


@router.post("/projects")
def create_project(
    request: Request,
    session: SessionDep,
    principal: UserPrincipal,
    name: str = Form(""),
    description: str = Form(""),
    org_id: str = Form(""),
) -> Response:
    try:
        project = service.create(
            session, principal, name, description, org_id=int(org_id) if org_id else None
        )
    except DomainError as exc:
        projects = [
            (p, repository.role_of(session, principal, p)) for p in service.list_for(session, principal)
        ]
        ctx = {
            "projects": projects,
            "orgs": orgs.list_for(session, principal),
            "errors": {getattr(exc, "field", None) or "name": exc.message},
            "form": {"name": name, "description": description},
        }
        return render(request, "projects/list.html", ctx, 422)
    return redirect(request, f"/projects/{project.id}")


@router.post("/orgs")
def create_org(
    request: Request, session: SessionDep, principal: UserPrincipal, name: str = Form("")
) -> Response:
    orgs.create(session, principal, name)
    return redirect(request, "/projects")


@router.get("/projects/{project_id}")
def overview(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    recent, total = jobs.list_(session, ctx, limit=5)
    members = service.list_members(session, ctx)
    return render(
        request,
        "projects/overview.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "jobs": recent,
            "job_count": total,
            "members": members,
            "Action": Action,
        },
    )


def _team_context(session, ctx, **extra):  # type: ignore[no-untyped-def]
    data = {
        "ctx": ctx,
        "project": ctx.project,
        "members": service.list_members(session, ctx),
        "roles": list(Role),
        "Action": Action,
        "keys": service.list_api_keys(session, ctx) if ctx.can(Action.manage_keys) else [],
        "events": audit.list_for_project(session, ctx.project.id, limit=50)
        if ctx.can(Action.manage_team)
        else [],
    }
    data.update(extra)
    return data


@router.get("/projects/{project_id}/team")
def team_page(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    return render(request, "projects/team.html", _team_context(session, ctx))


@router.post("/projects/{project_id}/team/invites")
def create_invite(
    request: Request,
    ctx: CanManageTeam,
    session: SessionDep,
    role: str = Form("member"),
    email: str = Form(""),
) -> Response:
    invite, token = service.create_invite(session, ctx, Role(role), email=email or None)
    return render(
        request, "projects/_invite_created.html", {"url": service.invite_url(token), "role": invite.role}
    )


@router.post("/projects/{project_id}/team/members/{user_id}/role")
def change_role(
    request: Request, user_id: int, ctx: CanManageTeam, session: SessionDep, role: str = Form(...)
) -> Response:
    service.set_member_role(session, ctx, user_id, Role(role))
    return refresh(request)


@router.post("/projects/{project_id}/team/members/{user_id}/remove")
def remove_member(request: Request, user_id: int, ctx: CanManageTeam, session: SessionDep) -> Response:
    service.remove_member(session, ctx, user_id)
    return refresh(request)


@router.post("/projects/{project_id}/team/keys")
def create_key(
    request: Request,
    ctx: CanManageKeys,
    session: SessionDep,
    name: str = Form("API key"),
    role: str = Form("member"),
) -> Response:
    key, raw = service.create_api_key(session, ctx, name, Role(role))
    return render(request, "projects/_key_created.html", {"key": key, "raw": raw})


@router.post("/projects/{project_id}/team/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: int, ctx: CanManageKeys, session: SessionDep) -> Response:
    service.revoke_api_key(session, ctx, key_id)
    return refresh(request)


@router.get("/invites/{token}")
def invite_page(request: Request, token: str, session: SessionDep, principal: PrincipalDep) -> Response:
    invite = service.find_invite(session, token)
    project = session.get(service.Project, invite.project_id) if invite.project_id else None
    return render(request, "projects/invite.html", {"invite": invite, "project": project, "token": token})


@router.post("/invites/{token}")
def accept_invite(request: Request, token: str, session: SessionDep, principal: UserPrincipal) -> Response:
    invite = service.accept_invite(session, principal, token)
    return redirect(request, f"/projects/{invite.project_id}" if invite.project_id else "/projects")
