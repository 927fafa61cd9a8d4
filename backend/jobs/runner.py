"""Runs one job inside a worker: claims the row, heartbeats, calls the handler, records the outcome.

Kept free of Celery so it can be driven directly in tests; backend.jobs.tasks is the thin Celery adapter.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from backend.core.config import get_settings
from backend.core.db import session_scope, utcnow
from backend.jobs import service
from backend.jobs.models import FINISHED, Job, JobStatus
from backend.jobs.registry import get_handler

log = logging.getLogger(__name__)
HEARTBEAT_S = 5.0


class JobCancelled(Exception):
    """Raised inside a handler when the user asked to cancel."""


class JobFailed(Exception):
    """A handler's expected failure: the message is shown to the user as the job's error."""


class JobContext:
    """What a handler gets: its parameters and ways to report progress, log, and notice a cancel."""

    def __init__(
        self, job_id: int, project_id: int, params: dict[str, Any], created_by_id: int | None
    ) -> None:
        self.job_id = job_id
        self.project_id = project_id
        self.params = params
        self.created_by_id = created_by_id
        self._last_cancel_check = 0.0

    def log(self, line: str) -> None:
        with session_scope() as s:
            service.add_log(s, self.job_id, line)

    def progress(self, percent: float, line: str | None = None) -> None:
        with session_scope() as s:
            s.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(progress=max(0.0, min(100.0, float(percent))), heartbeat_at=utcnow())
            )
            if line:
                service.add_log(s, self.job_id, line)
        self.check_cancelled()

    def cancelled(self) -> bool:
        now = time.monotonic()
        if now - self._last_cancel_check < 0.3:
            return False
        self._last_cancel_check = now
        with session_scope() as s:
            job = s.get(Job, self.job_id)
            return bool(job and job.cancel_requested)

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled()


def _heartbeat(job_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            with session_scope() as s:
                s.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.running)
                    .values(heartbeat_at=utcnow())
                )
        except Exception:  # a missed beat is harmless; the next one retries
            log.exception("heartbeat for job %s failed", job_id)


def _claim(job_id: int, worker: str) -> JobContext | None:
    with session_scope() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return None
        fresh = utcnow() - timedelta(seconds=get_settings().job_heartbeat_timeout_s)
        if job.status == JobStatus.running and job.heartbeat_at and job.heartbeat_at > fresh:
            return None  # a duplicate delivery while another worker is alive on it
        if job.cancel_requested:
            job.status = JobStatus.cancelled
            job.finished_at = utcnow()
            service.add_log(s, job.id, "Cancelled before it started")
            return None
        job.status = JobStatus.running
        job.attempts += 1
        job.started_at = job.started_at or utcnow()
        job.heartbeat_at = utcnow()
        job.worker = worker
        service.add_log(s, job.id, f"Started on {worker} (attempt {job.attempts})")
        return JobContext(job.id, job.project_id, dict(job.params or {}), job.created_by_id)


def _finish(
    job_id: int, status: JobStatus, *, result: dict | None = None, error: str | None = None, line: str
) -> None:
    with session_scope() as s:
        job = s.get(Job, job_id)
        if job is None:
            return
        job.status = status
        job.finished_at = utcnow()
        job.error = error
        if result is not None:
            job.result = result
        if status == JobStatus.succeeded:
            job.progress = 100.0
        service.add_log(s, job_id, line)


def run_job(job_id: int, worker: str = "worker") -> str | None:
    """Run job `job_id` to completion; returns the final status, or None when there was nothing to do."""
    ctx = _claim(job_id, worker)
    if ctx is None:
        return None
    with session_scope() as s:
        type_ = s.get(Job, job_id).type  # type: ignore[union-attr]
    handler = get_handler(type_)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job_id, stop), daemon=True)
    beat.start()
    started = time.monotonic()
    try:
        if handler is None:
            raise JobFailed(f"No handler for job type {type_!r} on this worker.")
        result = handler(ctx) or {}
        _finish(
            job_id,
            JobStatus.succeeded,
            result=result,
            line=f"Succeeded in {time.monotonic() - started:.1f} s",
        )
        return JobStatus.succeeded
    except JobCancelled:
        _finish(job_id, JobStatus.cancelled, line="Cancelled")
        return JobStatus.cancelled
    except JobFailed as exc:
        _finish(job_id, JobStatus.failed, error=str(exc), line=f"Failed: {exc}")
        return JobStatus.failed
    except Exception as exc:
        log.exception("job %s crashed", job_id)
        tb = traceback.format_exc(limit=8)
        _finish(job_id, JobStatus.failed, error=f"Internal error: {exc}", line=f"Internal error:\n{tb}")
        return JobStatus.failed
    finally:
        stop.set()
