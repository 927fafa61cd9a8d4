"""Request and response shapes for training, model versions, model testing and classification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TrainingStart(BaseModel):
    """Settings override the impulse's learning-block parameters (epochs, learning_rate, layers, ...)."""

    settings: dict[str, Any] = Field(default_factory=dict)
    learn_block_id: str | None = None


class ModelTestStart(BaseModel):
    model_id: int | None = None


class ClassifySample(BaseModel):
    sample_id: int
    model_id: int | None = None


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    impulse_id: int | None
    learn_block_id: str
    learn_block_type: str
    version: int
    source: str
    status: str
    error: str | None
    settings: dict[str, Any]
    class_names: list[str]
    input_shape: list[int]
    sizes: dict[str, int]
    input_quantization: list[float] | None
    output_quantization: list[float] | None
    train_seconds: float | None
    job_id: int | None
    created_at: datetime


class ModelDetail(ModelRead):
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    anomaly: dict[str, Any] | None
    estimates: dict[str, Any]


class ModelMetrics(BaseModel):
    """Validation-split metrics of the float32 and int8 models side by side."""

    model_id: int
    version: int
    split: str | None
    samples: int | None
    float32: dict[str, Any] | None
    int8: dict[str, Any] | None


class ModelTestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    model_id: int
    job_id: int | None
    accuracy: float
    metrics: dict[str, Any]
    rows: list[dict[str, Any]]
    created_at: datetime
