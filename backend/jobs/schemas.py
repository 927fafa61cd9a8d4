"""Job shapes for the API and CLI."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    type: str
    status: str
    progress: float
    params: dict
    result: dict | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    cancel_requested: bool


class JobLogLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    line: str


class JobDetail(JobRead):
    logs: list[JobLogLine]


class JobCreate(BaseModel):
    type: str
    params: dict = {}
