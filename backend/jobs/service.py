"""Job business logic: start, list, read, cancel, and reap jobs whose worker died."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.config import get_settings
from backend.core.db import utcnow
from backend.core.enqueue import enqueue_after_commit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.jobs import repository
from backend.jobs.models import FINISHED, Job, JobLog, JobStatus
from backend.jobs.registry import known_types
from backend.projects.service import ProjectContext

RUN_JOB_TASK = "moteforge.run_job"


def start(session: Session, ctx: ProjectContext, type_: str, params: dict | None = None) -> Job:
    """Create a queued job; its task is sent when the caller's transaction commits."""
    if type_ not in known_types():
        raise InvalidInput(
            f"Unknown job type {type_!r}; known: {', '.join(sorted(known_types()))}.", field="type"
        )
    job = Job(
        project_id=ctx.project.id,
        type=type_,
        status=JobStatus.queued,
        params=params or {},
        created_by_id=ctx.principal.user_id,
    )
    session.add(job)
    session.flush()
    add_log(session, job.id, f"Queued {type_} job by {ctx.principal.label}")
    audit.record(session, ctx.principal, "job.start", project_id=ctx.project.id, job_id=job.id, type=type_)
    enqueue_after_commit(session, RUN_JOB_TASK, job.id)
    return job


def get_or_raise(session: Session, ctx: ProjectContext, job_id: int) -> Job:
    job = repository.get_in_project(session, ctx.project.id, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} not found.")
    return job


def list_(
    session: Session, ctx: ProjectContext, *, limit: int = 50, offset: int = 0, type_: str | None = None
) -> tuple[list[Job], int]:
    jobs = repository.list_in_project(session, ctx.project.id, limit=limit, offset=offset, type_=type_)
    return jobs, repository.count_in_project(session, ctx.project.id)


def logs(session: Session, job: Job, after_seq: int = 0) -> list[JobLog]:
    return repository.logs_after(session, job.id, after_seq)


def add_log(session: Session, job_id: int, line: str) -> None:
    session.add(
        JobLog(job_id=job_id, seq=repository.next_seq(session, job_id), at=utcnow(), line=line[:4000])
    )
    session.flush()


def cancel(session: Session, ctx: ProjectContext, job_id: int) -> Job:
    job = get_or_raise(session, ctx, job_id)
    if job.status in FINISHED:
        raise Conflict(f"Job {job_id} has already {job.status}.")
    if job.status == JobStatus.queued:
        job.status = JobStatus.cancelled
        job.finished_at = utcnow()
        add_log(session, job.id, f"Cancelled by {ctx.principal.label} before it started")
    else:
        job.cancel_requested = True
        add_log(session, job.id, f"Cancel requested by {ctx.principal.label}")
    audit.record(session, ctx.principal, "job.cancel", project_id=ctx.project.id, job_id=job.id)
    session.flush()
    return job


def reap_stale(session: Session) -> list[int]:
    """Jobs whose worker stopped heartbeating are retried (up to the attempt limit) or failed with a reason."""
    settings = get_settings()
    cutoff = utcnow() - timedelta(seconds=settings.job_heartbeat_timeout_s)
    touched = []
    for job in repository.stale_running(session, cutoff):
        touched.append(job.id)
        if job.attempts < settings.job_max_attempts and not job.cancel_requested:
            job.status = JobStatus.queued
            job.worker = None
            add_log(
                session,
                job.id,
                f"Worker lost (no heartbeat for {settings.job_heartbeat_timeout_s:.0f} s); retrying",
            )
            enqueue_after_commit(session, RUN_JOB_TASK, job.id)
        else:
            job.status = JobStatus.cancelled if job.cancel_requested else JobStatus.failed
            job.error = (
                None if job.cancel_requested else "The worker running this job stopped (killed or crashed)."
            )
            job.finished_at = utcnow()
            add_log(session, job.id, job.error or "Cancelled (worker stopped)")
    session.flush()
    return touched
