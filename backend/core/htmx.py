"""Small helpers for htmx responses: redirects and error placement."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """Navigate after a successful form: htmx follows HX-Redirect, plain browsers a 303."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def refresh(request: Request) -> Response:
    return Response(status_code=204, headers={"HX-Refresh": "true"})
