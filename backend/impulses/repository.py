"""Impulse, feature-set and explorer queries, always scoped to one project or one impulse."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.impulses.models import FeatureExplorer, FeatureSet, Impulse


def current(session: Session, project_id: int) -> Impulse | None:
    stmt = select(Impulse).where(Impulse.project_id == project_id).order_by(Impulse.version.desc())
    return session.scalar(stmt.limit(1))


def get_in_project(session: Session, project_id: int, impulse_id: int) -> Impulse | None:
    return session.scalar(select(Impulse).where(Impulse.id == impulse_id, Impulse.project_id == project_id))


def list_versions(session: Session, project_id: int, *, limit: int, offset: int) -> list[Impulse]:
    stmt = select(Impulse).where(Impulse.project_id == project_id).order_by(Impulse.version.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_versions(session: Session, project_id: int) -> int:
    stmt = select(func.count()).select_from(Impulse).where(Impulse.project_id == project_id)
    return session.scalar(stmt) or 0


def max_version(session: Session, project_id: int) -> int:
    return session.scalar(select(func.max(Impulse.version)).where(Impulse.project_id == project_id)) or 0


def feature_set(session: Session, impulse_id: int, dsp_id: str, category: str) -> FeatureSet | None:
    return session.scalar(
        select(FeatureSet).where(
            FeatureSet.impulse_id == impulse_id,
            FeatureSet.dsp_id == dsp_id,
            FeatureSet.category == category,
        )
    )


def feature_sets(session: Session, impulse_id: int) -> list[FeatureSet]:
    stmt = select(FeatureSet).where(FeatureSet.impulse_id == impulse_id)
    return list(session.scalars(stmt.order_by(FeatureSet.category, FeatureSet.dsp_id)))


def explorer(session: Session, impulse_id: int) -> FeatureExplorer | None:
    return session.scalar(select(FeatureExplorer).where(FeatureExplorer.impulse_id == impulse_id))
