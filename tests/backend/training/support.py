"""Helpers for training tests that follow jobs run by the real worker."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.jobs.models import FINISHED, Job, JobLog


def wait_for(session: Session, job_id: int, timeout: float = 180, until: frozenset = FINISHED) -> Job:
    """The job once its status is in ``until`` (read fresh from the database each time)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        if job is not None and job.status in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def log_lines(session: Session, job_id: int) -> list[str]:
    return list(session.scalars(select(JobLog.line).where(JobLog.job_id == job_id).order_by(JobLog.seq)))
