"""Who is acting: a signed-in user, or a project API key (ingestion, CLI, CI pipelines)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.auth.models import User
    from backend.projects.models import ApiKey


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def api_key_id(self) -> int | None:
        return self.api_key.id if self.api_key else None

    @property
    def label(self) -> str:
        if self.user:
            return self.user.email
        if self.api_key:
            return f"api key {self.api_key.prefix}…"
        return "system"


SYSTEM = Principal()
