"""Celery adapter: the one task that runs any job by id."""

from __future__ import annotations

from backend.jobs.registry import load_handlers
from backend.jobs.runner import run_job
from backend.jobs.service import RUN_JOB_TASK
from workers.celery_app import celery_app


@celery_app.task(name=RUN_JOB_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_job_task(self, job_id: int) -> str | None:  # type: ignore[no-untyped-def]
    return run_job(int(job_id), worker=self.request.hostname or "worker")


# Import every domain's handlers when the worker starts, so the first job doesn't pay for it.
load_handlers()
