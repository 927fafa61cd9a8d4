"""Record and list audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.core.db import utcnow
from backend.core.principal import Principal

_INSERT = insert(AuditEvent.__table__)


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    project_id: int | None = None,
    org_id: int | None = None,
    immediate: bool = False,
    **details: Any,
) -> None:
    """Add an audit event to the unit of work; ``immediate`` inserts it at once, without an ORM object
    (for hot paths such as the ingestion writer)."""
    fields = {
        "project_id": project_id,
        "org_id": org_id,
        "actor_user_id": principal.user_id,
        "actor_api_key_id": principal.api_key_id,
        "action": action,
        "details": details,
    }
    if immediate:
        session.execute(_INSERT, [{**fields, "created_at": utcnow()}])
    else:
        session.add(AuditEvent(**fields))


def list_for_project(session: Session, project_id: int, *, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.project_id == project_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
