"""Record and list audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.core.db import utcnow
from backend.core.principal import Principal


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    project_id: int | None = None,
    org_id: int | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            project_id=project_id,
            org_id=org_id,
            actor_user_id=principal.user_id,
            actor_api_key_id=principal.api_key_id,
            action=action,
            details=details,
        )
    )


_INSERT = insert(AuditEvent.__table__)


def record_now(
    session: Session,
    principal: Principal,
    action: str,
    *,
    project_id: int | None = None,
    org_id: int | None = None,
    **details: Any,
) -> None:
    """``record`` as an immediate INSERT without an ORM object, for hot paths (the ingestion writer)."""
    session.execute(
        _INSERT,
        [
            {
                "project_id": project_id,
                "org_id": org_id,
                "actor_user_id": principal.user_id,
                "actor_api_key_id": principal.api_key_id,
                "action": action,
                "details": details,
                "created_at": utcnow(),
            }
        ],
    )


def list_for_project(session: Session, project_id: int, *, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.project_id == project_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
