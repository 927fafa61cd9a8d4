"""Typed request dependencies in one place: the session, the principal, and per-permission project access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.core.db import session_scope
from backend.core.errors import NotAuthenticated
from backend.core.principal import Principal
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext, get_context

SESSION_COOKIE = "mf_session"


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit once after the handler, roll back on any error."""
    with session_scope() as session:
        yield session


# scope="function": commit before the response is sent, so a client's next request sees the change and a
# failed commit is reported as an error instead of a 200 already on the wire.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(request: Request, session: SessionDep) -> Principal:
    from backend.auth import service as auth
    from backend.projects import service as projects

    raw_key = request.headers.get("x-api-key")
    authz = request.headers.get("authorization", "")
    if not raw_key and authz.lower().startswith("bearer "):
        raw_key = authz[7:]
    if raw_key:
        key = projects.authenticate_api_key(session, raw_key)
        if key is None:
            raise NotAuthenticated("Invalid or revoked API key.")
        principal = Principal(api_key=key)
    else:
        token = request.cookies.get(SESSION_COOKIE)
        user = auth.user_for_session(session, token) if token else None
        principal = Principal(user=user) if user else Principal()
    request.state.principal = principal
    # A plain copy for page chrome: error pages render after the session rolled back.
    request.state.user_email = principal.user.email if principal.user else None
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_principal(principal: PrincipalDep) -> Principal:
    if principal.user is None and principal.api_key is None:
        raise NotAuthenticated("Sign in or pass an API key (x-api-key header).")
    return principal


AuthedPrincipal = Annotated[Principal, Depends(require_principal)]


def require_user(principal: PrincipalDep) -> Principal:
    if principal.user is None:
        raise NotAuthenticated("Sign in first.")
    return principal


UserPrincipal = Annotated[Principal, Depends(require_user)]


def project_access(action: Action):  # type: ignore[no-untyped-def]
    def dependency(project_id: int, session: SessionDep, principal: AuthedPrincipal) -> ProjectContext:
        return get_context(session, principal, project_id, action)

    return dependency


CanRead = Annotated[ProjectContext, Depends(project_access(Action.read))]
CanWrite = Annotated[ProjectContext, Depends(project_access(Action.write))]
CanManageTeam = Annotated[ProjectContext, Depends(project_access(Action.manage_team))]
CanManageKeys = Annotated[ProjectContext, Depends(project_access(Action.manage_keys))]
CanAdmin = Annotated[ProjectContext, Depends(project_access(Action.admin))]
CanDelete = Annotated[ProjectContext, Depends(project_access(Action.delete))]
