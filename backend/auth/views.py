"""Pages for signing up, in and out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from backend.auth import service
from backend.auth.routes import set_session_cookie
from backend.core.deps import SESSION_COOKIE, PrincipalDep, SessionDep
from backend.core.errors import Conflict, InvalidInput, NotAuthenticated
from backend.core.htmx import redirect
from backend.core.templates import render

router = APIRouter(include_in_schema=False)


def _safe_next(next_url: str | None) -> str:
    return (
        next_url if next_url and next_url.startswith("/") and not next_url.startswith("//") else "/projects"
    )


@router.get("/")
def home(request: Request, principal: PrincipalDep) -> Response:
    return redirect(request, "/projects" if principal.user else "/signin")


@router.get("/signup")
def signup_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/signup.html", {"next": _safe_next(next), "errors": {}, "form": {}})


@router.post("/signup")
def signup(
    request: Request,
    session: SessionDep,
    email: str = Form(""),
    password: str = Form(""),
    name: str = Form(""),
    next: str = Form("/projects"),
) -> Response:
    try:
        user = service.create_user(session, email, password, name)
    except (InvalidInput, Conflict) as exc:
        field = getattr(exc, "field", None) or (exc.details or {}).get("field", "email")
        form = {"email": email, "name": name}
        return render(
            request, "auth/signup.html", {"next": next, "errors": {field: exc.message}, "form": form}, 422
        )
    response = redirect(request, _safe_next(next))
    set_session_cookie(response, service.open_session(session, user))
    return response


@router.get("/signin")
def signin_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/signin.html", {"next": _safe_next(next), "error": None, "form": {}})


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/projects"),
) -> Response:
    try:
        user = service.authenticate(session, email, password)
    except NotAuthenticated as exc:
        return render(
            request, "auth/signin.html", {"next": next, "error": exc.message, "form": {"email": email}}, 422
        )
    response = redirect(request, _safe_next(next))
    set_session_cookie(response, service.open_session(session, user))
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep) -> Response:
    if token := request.cookies.get(SESSION_COOKIE):
        service.close_session(session, token)
    response = redirect(request, "/signin")
    response.delete_cookie(SESSION_COOKIE)
    return response
