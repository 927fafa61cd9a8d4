"""Request and response shapes of the studio's data API (samples, uploads, bulk actions, CSV wizard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.data import formats

Category = Literal["training", "testing", "anomaly"]
UploadCategory = Literal["training", "testing", "anomaly", "split"]


class SensorRead(BaseModel):
    name: str
    units: str


class SampleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    filename: str
    label: str | None
    category: str
    kind: str
    sensors: list[SensorRead]
    interval_ms: float
    frames: int
    axes: int
    width: int
    duration_ms: float
    content_sha256: str
    metadata: dict[str, Any] = Field(validation_alias="meta")
    enabled: bool
    verified: bool
    device_name: str | None
    device_type: str | None
    created_at: datetime


class SampleList(BaseModel):
    data: list[SampleRead]
    count: int
    # Pass as `after_id` to get the next page; None on the last page.
    next_after_id: int | None = None


class SampleUpdate(BaseModel):
    """PATCH body: only the given fields change. `label: null` removes the label."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    label: str | None = Field(default=None, max_length=200)
    category: Category | None = None
    enabled: bool | None = None
    metadata: dict[str, Any] | None = None


class FileResultRead(BaseModel):
    filename: str
    success: bool
    error: str | None = None
    status: int
    samples: list[SampleRead] = []


class UploadResult(BaseModel):
    files: list[FileResultRead]
    accepted: int
    rejected: int


class BulkAction(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=100_000)
    action: Literal["relabel", "move", "enable", "disable", "delete"]
    label: str | None = Field(default=None, max_length=200)
    category: Category | None = None


class BulkResult(BaseModel):
    action: str
    count: int


class CropRequest(BaseModel):
    start_ms: float = Field(ge=0)
    end_ms: float = Field(gt=0)


class SplitRequest(BaseModel):
    window_ms: float = Field(gt=0)
    stride_ms: float | None = Field(default=None, gt=0)


class CategoryTotals(BaseModel):
    count: int
    duration_ms: float


class LabelTotals(BaseModel):
    label: str | None
    training: CategoryTotals
    testing: CategoryTotals
    anomaly: CategoryTotals


class SensorSet(BaseModel):
    kind: str
    sensors: list[SensorRead]
    interval_ms: float
    count: int


class SummaryRead(BaseModel):
    total: int
    disabled: int
    duration_ms: float
    categories: dict[str, CategoryTotals]
    labels: list[LabelTotals]
    train_test_ratio: dict[str, float]
    sensors: list[SensorSet]


class RebalanceResult(BaseModel):
    moved: int
    sample_ids: list[int]
    labels: dict[str, dict[str, int]]


class CsvMappingBody(BaseModel):
    """The CSV wizard's choices (None: detect)."""

    timestamp_column: str | None = None
    timestamp_unit: Literal["ms", "s"] | None = None
    frequency_hz: float | None = Field(default=None, gt=0)
    axes: list[str] | None = None
    label_column: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)

    def to_mapping(self) -> formats.CsvMapping:
        return formats.CsvMapping(**self.model_dump())

    @classmethod
    def of(cls, mapping: formats.CsvMapping) -> CsvMappingBody:
        return cls(
            timestamp_column=mapping.timestamp_column,
            timestamp_unit=mapping.timestamp_unit,
            frequency_hz=mapping.frequency_hz,
            axes=list(mapping.axes) if mapping.axes is not None else None,
            label_column=mapping.label_column,
            delimiter=mapping.delimiter,
        )


class CsvPreviewRead(BaseModel):
    columns: list[str]
    mapping: CsvMappingBody
    rows: list[list[str]]
    interval_ms: float | None
    problems: list[str]


class PlotAxis(BaseModel):
    name: str
    units: str
    values: list[float]


class SampleValues(BaseModel):
    """Values for plotting: time series and audio give axes; images give only their size."""

    kind: str
    interval_ms: float | None = None
    frames: int | None = None
    downsampled: bool = False
    t_ms: list[float] = []
    axes: list[PlotAxis] = []
    height: int | None = None
    width: int | None = None
    channels: int | None = None
