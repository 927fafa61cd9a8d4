"""Pages: the jobs of a project, and one job with live progress and log (htmx polling)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.htmx import redirect
from backend.core.templates import register_nav, render
from backend.jobs import service
from backend.jobs.models import FINISHED

router = APIRouter(include_in_schema=False)
register_nav("jobs", "Jobs", "/projects/{id}/jobs", order=80)
register_nav("team", "Team", "/projects/{id}/team", order=90)


@router.get("/projects/{project_id}/jobs")
def jobs_page(request: Request, ctx: CanRead, session: SessionDep, page: int = 1) -> Response:
    per_page = 50
    jobs, total = service.list_(session, ctx, limit=per_page, offset=(max(page, 1) - 1) * per_page)
    return render(
        request,
        "jobs/list.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "jobs": jobs,
            "total": total,
            "page": page,
            "per_page": per_page,
            "active_nav": "jobs",
        },
    )


@router.post("/projects/{project_id}/jobs")
def start_job(request: Request, ctx: CanWrite, session: SessionDep, type: str = Form(...)) -> Response:
    job = service.start(session, ctx, type, {})
    return redirect(request, f"/projects/{ctx.project.id}/jobs/{job.id}")


def _panel_context(session, ctx, job_id: int):  # type: ignore[no-untyped-def]
    job = service.get_or_raise(session, ctx, job_id)
    return {
        "ctx": ctx,
        "project": ctx.project,
        "job": job,
        "logs": service.logs(session, job),
        "finished": job.status in FINISHED,
    }


@router.get("/projects/{project_id}/jobs/{job_id}")
def job_page(request: Request, job_id: int, ctx: CanRead, session: SessionDep) -> Response:
    return render(request, "jobs/detail.html", {**_panel_context(session, ctx, job_id), "active_nav": "jobs"})


@router.get("/projects/{project_id}/jobs/{job_id}/panel")
def job_panel(request: Request, job_id: int, ctx: CanRead, session: SessionDep) -> Response:
    return render(request, "jobs/_panel.html", _panel_context(session, ctx, job_id))


@router.post("/projects/{project_id}/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: int, ctx: CanWrite, session: SessionDep) -> Response:
    service.cancel(session, ctx, job_id)
    return render(request, "jobs/_panel.html", _panel_context(session, ctx, job_id))
