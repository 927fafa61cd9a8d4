"""Send Celery tasks only after the transaction that created their rows has committed.

A worker must never receive an id for a row it cannot see yet; a rolled-back request sends nothing.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "moteforge_pending_tasks"


def enqueue_after_commit(session: Session, task_name: str, *args: int | str) -> None:
    session.info.setdefault(_KEY, []).append((task_name, args))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    if not pending:
        return
    from workers.celery_app import celery_app

    for name, args in pending:
        celery_app.send_task(name, args=list(args))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_KEY, None)
