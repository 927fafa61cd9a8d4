"""Queries over trained models and model tests, always scoped to one project."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.training.models import ModelStatus, ModelTest, TrainedModel


def get_in_project(session: Session, project_id: int, model_id: int) -> TrainedModel | None:
    return session.scalar(
        select(TrainedModel).where(TrainedModel.project_id == project_id, TrainedModel.id == model_id)
    )


def list_in_project(
    session: Session, project_id: int, *, limit: int = 100, offset: int = 0
) -> list[TrainedModel]:
    stmt = (
        select(TrainedModel)
        .where(TrainedModel.project_id == project_id)
        .order_by(TrainedModel.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def count_in_project(session: Session, project_id: int) -> int:
    stmt = select(func.count()).select_from(TrainedModel).where(TrainedModel.project_id == project_id)
    return int(session.scalar(stmt) or 0)


def latest_ready(session: Session, project_id: int) -> TrainedModel | None:
    return session.scalar(
        select(TrainedModel)
        .where(TrainedModel.project_id == project_id, TrainedModel.status == ModelStatus.ready)
        .order_by(TrainedModel.version.desc())
        .limit(1)
    )


def by_job(session: Session, job_id: int) -> TrainedModel | None:
    return session.scalar(select(TrainedModel).where(TrainedModel.job_id == job_id))


def next_version(session: Session, project_id: int) -> int:
    stmt = select(func.max(TrainedModel.version)).where(TrainedModel.project_id == project_id)
    return int(session.scalar(stmt) or 0) + 1


def latest_test(session: Session, project_id: int, model_id: int | None = None) -> ModelTest | None:
    stmt = select(ModelTest).where(ModelTest.project_id == project_id)
    if model_id is not None:
        stmt = stmt.where(ModelTest.model_id == model_id)
    return session.scalar(stmt.order_by(ModelTest.id.desc()).limit(1))


def test_by_job(session: Session, job_id: int) -> ModelTest | None:
    return session.scalar(select(ModelTest).where(ModelTest.job_id == job_id))


def get_test(session: Session, project_id: int, test_id: int) -> ModelTest | None:
    return session.scalar(
        select(ModelTest).where(ModelTest.project_id == project_id, ModelTest.id == test_id)
    )
