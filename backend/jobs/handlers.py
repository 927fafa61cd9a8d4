"""Job handlers of the jobs domain itself: project statistics, a small real job used to check the system."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.core.db import session_scope
from backend.jobs.models import Job
from backend.jobs.registry import job_handler
from backend.jobs.runner import JobContext
from backend.projects.models import ProjectMember

# Domains add (name, fn(session, project_id) -> dict) here to contribute their own figures.
STAT_PROVIDERS: list[tuple[str, Any]] = []


@job_handler("project-stats")
def project_stats(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(5, "Counting members, jobs and audit events")
    stats: dict[str, Any] = {}
    with session_scope() as s:
        stats["members"] = s.scalar(select(func.count()).where(ProjectMember.project_id == ctx.project_id))
        stats["jobs"] = s.scalar(
            select(func.count()).select_from(Job).where(Job.project_id == ctx.project_id)
        )
        stats["audit_events"] = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.project_id == ctx.project_id)
        )
    for i, (name, provider) in enumerate(STAT_PROVIDERS, start=1):
        ctx.check_cancelled()
        with session_scope() as s:
            stats[name] = provider(s, ctx.project_id)
        ctx.progress(5 + 90 * i / len(STAT_PROVIDERS), f"Computed {name}")
    ctx.log("Statistics: " + ", ".join(f"{k}={v}" for k, v in stats.items() if not isinstance(v, dict)))
    return stats
