"""Job types that exist only in tests: loaded by web and worker through MOTEFORGE_EXTRA_JOB_MODULES."""

from __future__ import annotations

import time

from backend.jobs.registry import job_handler
from backend.jobs.runner import JobContext, JobFailed


@job_handler("test-sleep")
def sleep_job(ctx: JobContext) -> dict:
    """Runs for params.seconds in small steps, reporting progress and honouring cancel."""
    seconds = float(ctx.params.get("seconds", 1.0))
    steps = max(1, int(seconds / 0.1))
    for i in range(steps):
        time.sleep(seconds / steps)
        ctx.progress(100 * (i + 1) / steps)
    return {"slept": seconds, "pid": __import__("os").getpid()}


@job_handler("test-fail")
def failing_job(ctx: JobContext) -> dict:
    raise JobFailed("the input was not acceptable")
