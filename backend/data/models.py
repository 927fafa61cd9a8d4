"""Samples (one recording each: a row here plus its original file and normalized values as blobs) and the
CSV mappings the CSV wizard saves per project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, TimestampMixin

CATEGORIES = ("training", "testing", "anomaly")
KINDS = ("timeseries", "audio", "image")


class Sample(TimestampMixin, Base):
    """One recording in a project's dataset.

    Time series and audio: `frames` rows of `axes` values, `interval_ms` apart. Images: `frames` is the
    height, `axes` the channel count and `width` the width; `interval_ms` and `duration_ms` are 0.
    """

    __tablename__ = "samples"
    __table_args__ = (
        # The explorer filters by category and/or label and pages by id (keyset) inside one project; with
        # id last in each index, a page is an index range scan in id order, with no sort, at any depth.
        Index("ix_samples_project_category_label", "project_id", "category", "label", "id"),
        Index("ix_samples_project_label_id", "project_id", "label", "id"),
        Index("ix_samples_project_id_id", "project_id", "id"),
        Index("ix_samples_project_content", "project_id", "content_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    sensors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    interval_ms: Mapped[float] = mapped_column(default=0.0)
    frames: Mapped[int] = mapped_column(default=0)
    axes: Mapped[int] = mapped_column(default=0)
    width: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    # sha256 over kind, shape, dtype, interval and the values: equal recordings, whatever the file format.
    content_sha256: Mapped[str] = mapped_column(String(64))
    original_sha256: Mapped[str] = mapped_column(String(64))
    values_sha256: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    verified: Mapped[bool] = mapped_column(default=False)
    device_name: Mapped[str | None] = mapped_column(String(200))
    device_type: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


class CsvMapping(TimestampMixin, Base):
    """A CSV wizard mapping saved under a name; the one named "default" is applied to later CSV uploads."""

    __tablename__ = "csv_mappings"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    # The fields of backend.data.formats.CsvMapping as a JSON object.
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
