"""Imports every domain's models so the metadata is complete (Alembic, tests).

A new domain adds its models module to MODEL_MODULES in backend/domains.py.
"""

import importlib

from backend.audit.models import AuditEvent
from backend.auth.models import User, UserSession
from backend.domains import MODEL_MODULES
from backend.jobs.models import Job, JobLog
from backend.orgs.models import Organization, OrgMember
from backend.projects.models import ApiKey, Invite, Project, ProjectMember

for _module in MODEL_MODULES:
    importlib.import_module(_module)

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
