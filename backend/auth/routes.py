"""JSON API for accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.auth import service
from backend.auth.schemas import SignIn, UserCreate, UserRead
from backend.core.config import get_settings
from backend.core.deps import SESSION_COOKIE, SessionDep, UserPrincipal

router = APIRouter(prefix="/api/auth", tags=["auth"])


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


@router.post("/signup", response_model=UserRead, status_code=201)
def signup(body: UserCreate, session: SessionDep, response: Response) -> UserRead:
    user = service.create_user(session, body.email, body.password, body.name)
    set_session_cookie(response, service.open_session(session, user))
    return UserRead.model_validate(user)


@router.post("/signin", response_model=UserRead)
def signin(body: SignIn, session: SessionDep, response: Response) -> UserRead:
    user = service.authenticate(session, body.email, body.password)
    set_session_cookie(response, service.open_session(session, user))
    return UserRead.model_validate(user)


@router.post("/signout", status_code=204)
def signout(request: Request, session: SessionDep, response: Response) -> None:
    if token := request.cookies.get(SESSION_COOKIE):
        service.close_session(session, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=UserRead)
def me(principal: UserPrincipal) -> UserRead:
    return UserRead.model_validate(principal.user)
