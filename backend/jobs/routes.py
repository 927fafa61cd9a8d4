"""JSON API for jobs: start, list, read with logs, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Query

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.jobs import service
from backend.jobs.schemas import JobCreate, JobDetail, JobLogLine, JobRead
from backend.projects.schemas import ListOf

router = APIRouter(prefix="/api/projects/{project_id}/jobs", tags=["jobs"])


@router.get("", response_model=ListOf[JobRead])
def list_jobs(
    ctx: CanRead,
    session: SessionDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    type: str | None = None,
) -> ListOf[JobRead]:
    jobs, count = service.list_(session, ctx, limit=limit, offset=offset, type_=type)
    return ListOf(data=[JobRead.model_validate(j) for j in jobs], count=count)


@router.post("", response_model=JobRead, status_code=202)
def start_job(body: JobCreate, ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.start(session, ctx, body.type, body.params))


@router.get("/{job_id}", response_model=JobDetail)
def get_job(job_id: int, ctx: CanRead, session: SessionDep, log_after: int = Query(0, ge=0)) -> JobDetail:
    job = service.get_or_raise(session, ctx, job_id)
    logs = [JobLogLine.model_validate(line) for line in service.logs(session, job, log_after)]
    return JobDetail(**JobRead.model_validate(job).model_dump(), logs=logs)


@router.post("/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: int, ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.cancel(session, ctx, job_id))
