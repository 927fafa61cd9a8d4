"""Request and response shapes for projects, members, invites and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from backend.projects.permissions import Role

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    data: list[T]
    count: int


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    org_id: int | None = None


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    org_id: int | None
    owner_user_id: int | None
    created_at: datetime
    role: Role | None = None


class MemberRead(BaseModel):
    user_id: int
    email: str
    name: str
    role: Role
    via: str  # "project" or "organization"


class RoleUpdate(BaseModel):
    role: Role


class InviteCreate(BaseModel):
    role: Role = Role.member
    email: str | None = None
    days_valid: int = Field(default=7, ge=1, le=90)


class InviteCreated(BaseModel):
    id: int
    role: Role
    url: str
    token: str
    expires_at: datetime


class ApiKeyCreate(BaseModel):
    name: str = Field(default="API key", min_length=1, max_length=200)
    role: Role = Role.member


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class ApiKeyCreated(ApiKeyRead):
    key: str  # shown once


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    actor_user_id: int | None
    actor_api_key_id: int | None
    details: dict
    created_at: datetime
