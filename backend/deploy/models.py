"""Deployments (one verified bundle build of a model for a board and kind) and cached per-board estimates."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, TimestampMixin


class DeploymentStatus(StrEnum):
    building = "building"
    ready = "ready"  # verified, signed and stored: the only status whose bundle is offered
    failed = "failed"


class Deployment(TimestampMixin, Base):
    """One bundle build. ``inputs_sha256`` names everything the zip is made from (spec, board, kind, test
    samples, signing key), so an identical request reuses the stored bundle instead of building again."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("job_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Plain ids: the model and impulse rows belong to other domains that migrate independently.
    model_id: Mapped[int] = mapped_column(Integer, index=True)
    model_version: Mapped[int]
    impulse_id: Mapped[int | None] = mapped_column(Integer)
    impulse_version: Mapped[int | None]
    board_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default=DeploymentStatus.building)
    error: Mapped[str | None] = mapped_column(String(4000))
    inputs_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verification_log: Mapped[str | None] = mapped_column(Text)
    estimate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BoardEstimates(TimestampMixin, Base):
    """The per-board RAM/flash/latency table of one model, computed once (emulator runs take seconds)."""

    __tablename__ = "deploy_estimates"
    __table_args__ = (UniqueConstraint("model_id", "cache_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(Integer, index=True)
    # The model's int8 sha256, the processing config and the board file's state: a change recomputes.
    cache_key: Mapped[str] = mapped_column(String(64))
    # {board_id: Estimate.to_json() plus "error" where the board could not be measured}
    boards: Mapped[dict[str, Any]] = mapped_column(JSON)
