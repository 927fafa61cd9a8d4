"""Request and response shapes for impulses, their block catalogue and the feature explorer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class InputBlock(BaseModel):
    """Time series / audio (window, stride, frequency, zero_pad, axes) or image (size, resize, colour).

    Fields that do not apply to the chosen type are ignored; the service checks the ones that do and
    names the field in its error.
    """

    type: str = Field(description="timeseries, audio or image")
    window_ms: float | None = None
    stride_ms: float | None = None
    frequency_hz: float | None = None
    zero_pad: bool = True
    axes: list[str] | None = None
    width: int | None = None
    height: int | None = None
    resize_mode: str | None = None
    color_depth: str | None = None

    def as_design(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class DspBlockIn(BaseModel):
    id: str | None = Field(default=None, description="Block id such as dsp1; assigned when omitted")
    type: str = Field(description="A processing block from the catalogue (raw, spectral, mfcc, ...)")
    params: dict[str, Any] = Field(default_factory=dict)


class LearnBlockIn(BaseModel):
    id: str | None = Field(default=None, description="Block id such as learn1; assigned when omitted")
    type: str = Field(description="classifier, regression, anomaly-kmeans or anomaly-gmm")
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[str] | None = Field(default=None, description="Processing block ids; all when omitted")


class ImpulseCreate(BaseModel):
    """A design to save; saving an unchanged design returns the current version."""

    name: str = Field(default="Impulse", min_length=1, max_length=200)
    input_block: InputBlock
    dsp_blocks: list[DspBlockIn]
    learn_blocks: list[LearnBlockIn]


class ImpulseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    version: int
    name: str
    input_block: dict[str, Any]
    dsp_blocks: list[dict[str, Any]]
    learn_blocks: list[dict[str, Any]]
    labels: list[str]
    created_by_id: int | None
    created_at: datetime


class ExplorerPoint(BaseModel):
    sample_id: int
    window: int
    label: str
    x: float
    y: float


class ExplorerRead(BaseModel):
    impulse_id: int
    method: str
    total_points: int
    created_at: datetime
    points: list[ExplorerPoint]


class ParameterRead(BaseModel):
    name: str
    type: str
    default: Any
    help: str
    range: list[float | None] | None = None
    options: list[Any] | None = None


class ProcessingBlockRead(BaseModel):
    type: str
    title: str
    version: int
    input_kind: str
    parameters: list[ParameterRead]


class LearningBlockRead(BaseModel):
    type: str
    title: str
    kind: str
    version: int
    parameters: list[ParameterRead]


class BlockCatalogue(BaseModel):
    processing: list[ProcessingBlockRead]
    learning: list[LearningBlockRead]
