"""Queries for deployments and cached estimates, always scoped to one project."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.deploy.models import BoardEstimates, Deployment, DeploymentStatus


def get_in_project(session: Session, project_id: int, deployment_id: int) -> Deployment | None:
    return session.scalars(
        select(Deployment).where(Deployment.project_id == project_id, Deployment.id == deployment_id)
    ).one_or_none()


def by_job(session: Session, job_id: int) -> Deployment | None:
    return session.scalars(select(Deployment).where(Deployment.job_id == job_id)).one_or_none()


def list_in_project(
    session: Session, project_id: int, *, model_id: int | None = None, limit: int = 100, offset: int = 0
) -> list[Deployment]:
    query = select(Deployment).where(Deployment.project_id == project_id)
    if model_id is not None:
        query = query.where(Deployment.model_id == model_id)
    query = query.order_by(Deployment.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count_in_project(session: Session, project_id: int, *, model_id: int | None = None) -> int:
    query = select(func.count()).select_from(Deployment).where(Deployment.project_id == project_id)
    if model_id is not None:
        query = query.where(Deployment.model_id == model_id)
    return int(session.scalar(query) or 0)


def reusable(session: Session, project_id: int, inputs_sha256: str) -> Deployment | None:
    """A ready (or still building) deployment of exactly these inputs: newest ready one first."""
    rows = session.scalars(
        select(Deployment)
        .where(
            Deployment.project_id == project_id,
            Deployment.inputs_sha256 == inputs_sha256,
            Deployment.status.in_([DeploymentStatus.ready, DeploymentStatus.building]),
        )
        .order_by(Deployment.id.desc())
    ).all()
    ready = [r for r in rows if r.status == DeploymentStatus.ready]
    return (ready or list(rows) or [None])[0]


def estimates_for(
    session: Session, model_id: int, cache_key: str, *, lock: bool = False
) -> BoardEstimates | None:
    query = select(BoardEstimates).where(
        BoardEstimates.model_id == model_id, BoardEstimates.cache_key == cache_key
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def estimates_of_model(session: Session, model_id: int) -> list[BoardEstimates]:
    """Every table of the model (one per cache key), newest first."""
    return list(
        session.scalars(
            select(BoardEstimates)
            .where(BoardEstimates.model_id == model_id)
            .order_by(BoardEstimates.id.desc())
        )
    )
