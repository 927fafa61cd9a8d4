"""API shapes: boards, per-board estimates, deployments and the build request."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class BoardRead(BaseModel):
    id: str
    name: str
    mcu: str
    core: str
    clock_hz: int | None
    flash_bytes: int
    ram_bytes: int
    fpu: bool
    dsp_ext: bool
    toolchain: str
    emulator: str | None
    emulated: bool
    kinds: list[str]
    notes: str


class DeploymentCreate(BaseModel):
    board_id: str = Field(min_length=1, max_length=64)
    kind: str | None = Field(
        default=None, max_length=32, description="Bundle kind; the board's default if unset."
    )
    model_id: int | None = Field(default=None, description="Model id; the newest ready model if unset.")


class DeploymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    model_id: int
    model_version: int
    impulse_id: int | None
    impulse_version: int | None
    board_id: str
    kind: str
    status: str
    error: str | None
    job_id: int | None
    bundle_sha256: str | None
    size_bytes: int | None
    estimate: dict[str, Any] | None
    created_at: datetime


class DeploymentDetail(DeploymentRead):
    manifest: dict[str, Any] | None
    verification_log: str | None


class BoardEstimate(BaseModel):
    ram_bytes: int
    flash_bytes: int
    latency_ms: float | None
    instructions: int | None
    fits: bool
    reasons: list[str]
    measured_on: str | None
    error: str | None = None


class EstimatesRead(BaseModel):
    model_id: int
    model_version: int
    boards: dict[str, BoardEstimate]


class EstimatesStatus(BaseModel):
    """A measurement of the per-board table: ``measured`` (every board), ``measuring`` (``job_id`` runs),
    or ``not_measured`` (no job runs: never asked for, or the last one failed or was cancelled). ``boards``
    holds every board: its measured figures, or its plan bound (``measured_on`` null) until it is measured."""

    model_id: int
    model_version: int
    status: Literal["measured", "measuring", "not_measured"]
    job_id: int | None
    measured: list[str] = Field(description="The boards measured so far.")
    boards: dict[str, BoardEstimate]
