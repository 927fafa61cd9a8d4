"""Job queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.jobs.models import Job, JobLog, JobStatus


def get_in_project(session: Session, project_id: int, job_id: int) -> Job | None:
    return session.scalar(select(Job).where(Job.id == job_id, Job.project_id == project_id))


def list_in_project(
    session: Session, project_id: int, *, limit: int, offset: int, type_: str | None = None
) -> list[Job]:
    stmt = select(Job).where(Job.project_id == project_id)
    if type_:
        stmt = stmt.where(Job.type == type_)
    return list(session.scalars(stmt.order_by(Job.id.desc()).limit(limit).offset(offset)))


def count_in_project(session: Session, project_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Job).where(Job.project_id == project_id)) or 0


def logs_after(session: Session, job_id: int, after_seq: int, limit: int = 1000) -> list[JobLog]:
    stmt = (
        select(JobLog)
        .where(JobLog.job_id == job_id, JobLog.seq > after_seq)
        .order_by(JobLog.seq)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def next_seq(session: Session, job_id: int) -> int:
    return (session.scalar(select(func.max(JobLog.seq)).where(JobLog.job_id == job_id)) or 0) + 1


def stale_running(session: Session, older_than: datetime) -> list[Job]:
    stmt = select(Job).where(Job.status == JobStatus.running, Job.heartbeat_at < older_than)
    return list(session.scalars(stmt.with_for_update(skip_locked=True)))
