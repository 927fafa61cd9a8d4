"""Trained (or uploaded) models of a project, and the results of testing them on the test set."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, TimestampMixin


class ModelStatus(StrEnum):
    training = "training"
    ready = "ready"
    failed = "failed"
    cancelled = "cancelled"


class ModelSource(StrEnum):
    trained = "trained"
    uploaded = "uploaded"


class TrainedModel(TimestampMixin, Base):
    """One version of a project's model: its settings, artefacts (as blob digests) and validation metrics.

    A training job creates its row when it starts (status ``training``) and fills it in at the end;
    ``job_id`` is unique so a retried job finds and reuses its row instead of adding another.
    """

    __tablename__ = "trained_models"
    __table_args__ = (UniqueConstraint("project_id", "version"), UniqueConstraint("job_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # The impulse version the features came from; a plain id so the two domains migrate independently.
    impulse_id: Mapped[int | None] = mapped_column(Integer, index=True)
    learn_block_id: Mapped[str] = mapped_column(String(64))
    learn_block_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(20), default=ModelSource.trained)
    status: Mapped[str] = mapped_column(String(20), default=ModelStatus.training)
    error: Mapped[str | None] = mapped_column(String(2000))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    class_names: Mapped[list] = mapped_column(JSON, default=list)
    # Shape of one input (without batch) as the .tflite files take it.
    input_shape: Mapped[list] = mapped_column(JSON, default=list)
    float32_sha: Mapped[str | None] = mapped_column(String(64))
    int8_sha: Mapped[str | None] = mapped_column(String(64))
    keras_sha: Mapped[str | None] = mapped_column(String(64))
    # K-means/GMM parameters for anomaly blocks (no .tflite then).
    anomaly: Mapped[dict | None] = mapped_column(JSON)
    # {"float32": {...}, "int8": {...}} on the validation split (see workers.learn.evaluate.metrics).
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    history: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bytes of each artefact: {"float32": n, "int8": n, "keras": n}.
    sizes: Mapped[dict] = mapped_column(JSON, default=dict)
    # [scale, zero_point] of the int8 model's input and output.
    input_quantization: Mapped[list | None] = mapped_column(JSON)
    output_quantization: Mapped[list | None] = mapped_column(JSON)
    train_seconds: Mapped[float | None]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ModelTest(TimestampMixin, Base):
    """The int8 model classified through the TFLM interpreter on the project's testing data."""

    __tablename__ = "model_tests"
    __table_args__ = (UniqueConstraint("job_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("trained_models.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    accuracy: Mapped[float] = mapped_column(default=0.0)
    # accuracy, loss, per_class, confusion_matrix, class_names (as evaluate.metrics gives them).
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    # One row per window: {"sample_id", "sample_name", "window", "label", "predicted", "scores"}.
    rows: Mapped[list] = mapped_column(JSON, default=list)
