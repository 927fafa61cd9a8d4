"""Impulse designs (one row per saved version), their cached features and the feature explorer points."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, TimestampMixin


class Impulse(TimestampMixin, Base):
    """One saved version of a project's impulse; the highest version is the current design.

    Rows are never edited after they are written: a trained model points at the exact design (and so the
    exact features) it was trained on.
    """

    __tablename__ = "impulses"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    # {"type": "timeseries"|"audio", "window_ms", "stride_ms", "frequency_hz", "zero_pad", "axes": [...]}
    # or {"type": "image", "width", "height", "resize_mode", "color_depth"}.
    input_block: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{"id": "dsp1", "type": <workers.dsp block id>, "params": {...}, "version": <block VERSION>}]
    dsp_blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{"id": "learn1", "type": <workers.learn block id>, "params": {...}, "inputs": ["dsp1"]}]
    learn_blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Class names in a fixed order (the model's output order), from the training data at save time.
    labels: Mapped[list[str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class FeatureSet(TimestampMixin, Base):
    """Generated features of one processing block over one category, cached as an .npz blob.

    The blob holds X [N, F] float32, y [N] int (index into the impulse's labels, -1 unlabelled),
    sample_ids [N] and window_index [N]. ``fingerprint`` identifies the dataset it was computed from;
    a different fingerprint means the cache is stale.
    """

    __tablename__ = "feature_sets"
    __table_args__ = (UniqueConstraint("impulse_id", "dsp_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    impulse_id: Mapped[int] = mapped_column(ForeignKey("impulses.id", ondelete="CASCADE"), index=True)
    dsp_id: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    blob_sha: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    features: Mapped[int]
    samples: Mapped[int]
    # Windows per label ({"walking": 120, ...}) and samples left out because they were too short.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped_samples: Mapped[int] = mapped_column(default=0)


class FeatureExplorer(TimestampMixin, Base):
    """2-D projection of an impulse's training features for the explorer: one point per window."""

    __tablename__ = "feature_explorers"

    id: Mapped[int] = mapped_column(primary_key=True)
    impulse_id: Mapped[int] = mapped_column(
        ForeignKey("impulses.id", ondelete="CASCADE"), unique=True, index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))
    # [{"sample_id", "window", "label", "x", "y"}], at most EXPLORER_MAX_POINTS of them.
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_points: Mapped[int]
