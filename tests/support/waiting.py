"""Following jobs that a real worker runs: poll the database until a job reaches a status or logs a line."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.jobs.models import FINISHED, Job, JobLog


def log_lines(session: Session, job_id: int) -> list[str]:
    """The job's log, oldest line first."""
    return list(session.scalars(select(JobLog.line).where(JobLog.job_id == job_id).order_by(JobLog.seq)))


def wait_for(
    session: Session,
    job_id: int,
    timeout: float = 180,
    until: frozenset[str] = FINISHED,
    interval: float = 0.2,
) -> Job:
    """The job once its status is in ``until`` (read fresh from the database each time)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        if job is not None and job.status in until:
            return job
        time.sleep(interval)
    raise AssertionError(f"job {job_id} did not reach {sorted(until)} in {timeout} s")


def wait_for_log(
    session: Session,
    job_id: int,
    done: Callable[[list[str]], bool],
    timeout: float = 120,
    interval: float = 0.2,
) -> list[str]:
    """The job's log once ``done`` accepts it (for example, once a given epoch has started)."""
    deadline = time.time() + timeout
    while True:
        lines = log_lines(session, job_id)
        if done(lines):
            return lines
        if time.time() >= deadline:
            raise AssertionError(f"job {job_id} did not log the awaited line in {timeout} s: {lines[-5:]}")
        time.sleep(interval)
