"""Organization shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backend.projects.permissions import Role


class OrgCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class OrgRead(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime
