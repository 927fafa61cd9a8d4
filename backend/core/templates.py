"""The Jinja2 environment for pages and htmx partials, and the per-project navigation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
templates = Jinja2Templates(directory=str(FRONTEND / "templates"))
templates.env.filters["tojson_attr"] = lambda v: json.dumps(v)

# (key, label, url pattern) — domains append their pages; the layout renders these as the project's tabs.
PROJECT_NAV: list[tuple[str, str, str]] = []


def register_nav(key: str, label: str, url: str, *, order: int = 50) -> None:
    entry = (key, label, url)
    if entry not in PROJECT_NAV:
        PROJECT_NAV.append(entry)
        _order[key] = order
        PROJECT_NAV.sort(key=lambda e: _order.get(e[0], 50))


_order: dict[str, int] = {}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    ctx = {
        "request": request,
        "principal": getattr(request.state, "principal", None),
        "user_email": getattr(request.state, "user_email", None),
        "csrf_token": request.scope.get("state", {}).get("csrf_token", ""),
        "project_nav": PROJECT_NAV,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
