"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from backend.audit.models import AuditEvent
from backend.auth.models import User, UserSession
from backend.jobs.models import Job, JobLog
from backend.orgs.models import Organization, OrgMember
from backend.projects.models import ApiKey, Invite, Project, ProjectMember

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Invite",
    "Job",
    "JobLog",
    "OrgMember",
    "Organization",
    "Project",
    "ProjectMember",
    "User",
    "UserSession",
]
