"""Sample queries, always inside one project (the caller's ProjectContext decides which)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, String, bindparam, cast, func, select, update
from sqlalchemy.orm import Session

from backend.data.models import CsvMapping, Sample

# The explorer's "no label" filter value (a real label cannot be empty).
UNLABELED = ""


@dataclass(frozen=True)
class SampleFilter:
    """What the data explorer filters on; None means "any". `label=""` selects unlabeled samples."""

    label: str | None = None
    category: str | None = None
    sensor: str | None = None
    enabled: bool | None = None
    kind: str | None = None
    search: str | None = None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(project_id: int, f: SampleFilter) -> Select[tuple[Sample]]:
    stmt = select(Sample).where(Sample.project_id == project_id)
    if f.label is not None:
        stmt = stmt.where(Sample.label.is_(None) if f.label == UNLABELED else Sample.label == f.label)
    if f.category is not None:
        stmt = stmt.where(Sample.category == f.category)
    if f.enabled is not None:
        stmt = stmt.where(Sample.enabled.is_(f.enabled))
    if f.kind is not None:
        stmt = stmt.where(Sample.kind == f.kind)
    if f.search:
        stmt = stmt.where(Sample.name.ilike(f"%{_like_escape(f.search.strip())}%", escape="\\"))
    if f.sensor:
        # Sensors are a JSON list written by SQLAlchemy's json.dumps on both backends, so the name appears
        # as `"name": "<sensor>"` in its text.
        needle = f'"name": "{_like_escape(f.sensor)}"'
        stmt = stmt.where(cast(Sample.sensors, String).like(f"%{needle}%", escape="\\"))
    return stmt


def page(
    session: Session, project_id: int, f: SampleFilter, *, limit: int, after_id: int | None, offset: int
) -> list[Sample]:
    """Newest first; `after_id` (the last id of the previous page) keeps deep pages as fast as the first."""
    stmt = filtered(project_id, f)
    if after_id is not None:
        stmt = stmt.where(Sample.id < after_id)
    elif offset:
        stmt = stmt.offset(offset)
    return list(session.scalars(stmt.order_by(Sample.id.desc()).limit(limit)))


def count(session: Session, project_id: int, f: SampleFilter) -> int:
    sub = filtered(project_id, f).with_only_columns(Sample.id).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def get_in_project(session: Session, project_id: int, sample_id: int) -> Sample | None:
    return session.scalar(select(Sample).where(Sample.project_id == project_id, Sample.id == sample_id))


def in_project(session: Session, project_id: int, ids: Sequence[int]) -> list[Sample]:
    if not ids:
        return []
    stmt = select(Sample).where(Sample.project_id == project_id, Sample.id.in_(list(ids)))
    return list(session.scalars(stmt.order_by(Sample.id)))


def find_by_content(session: Session, project_id: int, content_sha256: str) -> Sample | None:
    stmt = select(Sample).where(Sample.project_id == project_id, Sample.content_sha256 == content_sha256)
    return session.scalar(stmt.limit(1))


def for_training(
    session: Session, project_id: int, category: str | None, *, enabled_only: bool
) -> list[Sample]:
    stmt = select(Sample).where(Sample.project_id == project_id)
    if category is not None:
        stmt = stmt.where(Sample.category == category)
    if enabled_only:
        stmt = stmt.where(Sample.enabled.is_(True))
    return list(session.scalars(stmt.order_by(Sample.id)))


def totals(session: Session, project_id: int) -> list[tuple[str | None, str, bool, int, float]]:
    """(label, category, enabled, count, total duration ms) groups, for the summary."""
    stmt = (
        select(
            Sample.label,
            Sample.category,
            Sample.enabled,
            func.count(),
            func.coalesce(func.sum(Sample.duration_ms), 0.0),
        )
        .where(Sample.project_id == project_id)
        .group_by(Sample.label, Sample.category, Sample.enabled)
    )
    return [(r[0], r[1], bool(r[2]), int(r[3]), float(r[4])) for r in session.execute(stmt).all()]


def sensor_sets(session: Session, project_id: int) -> list[tuple[str, list[dict[str, str]], float, int]]:
    """Distinct (kind, sensors, interval) combinations with their sample counts."""
    sensors_text = cast(Sample.sensors, String)
    stmt = (
        select(Sample.kind, sensors_text, Sample.interval_ms, func.count())
        .where(Sample.project_id == project_id)
        .group_by(Sample.kind, sensors_text, Sample.interval_ms)
        .order_by(func.count().desc())
    )
    return [(k, json.loads(s), float(i), int(n)) for k, s, i, n in session.execute(stmt).all()]


def set_field(session: Session, project_id: int, ids: Sequence[int], **values: object) -> int:
    stmt = (
        update(Sample)
        .where(Sample.project_id == project_id, Sample.id.in_(list(ids)))
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


def csv_mapping(session: Session, project_id: int, name: str = "default") -> CsvMapping | None:
    return session.scalar(
        select(CsvMapping).where(CsvMapping.project_id == project_id, CsvMapping.name == name)
    )


def csv_mapping_values(session: Session, project_id: int, name: str = "default") -> dict | None:
    """The saved mapping's fields only: a column read, no ORM row (the ingestion writer asks per batch)."""
    return session.execute(_MAPPING_VALUES, {"project_id": project_id, "name": name}).scalar()


_MAPPING_VALUES = select(CsvMapping.__table__.c.mapping).where(
    CsvMapping.__table__.c.project_id == bindparam("project_id"),
    CsvMapping.__table__.c.name == bindparam("name"),
)


def labels(session: Session, project_id: int) -> list[str]:
    stmt = (
        select(Sample.label)
        .where(Sample.project_id == project_id, Sample.label.is_not(None))
        .distinct()
        .order_by(Sample.label)
    )
    return [label for label in session.scalars(stmt) if label is not None]
