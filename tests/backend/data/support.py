"""Helpers for data and ingestion tests: the test's project and a snapshot of what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.core.config import get_settings
from backend.data.models import Sample
from backend.projects.models import Project
from backend.projects.service import ProjectContext


@dataclass
class World:
    owner: User
    project: Project
    ctx: ProjectContext
    key: str


@dataclass(frozen=True)
class Stored:
    """What one test left behind: sample rows, blob files and upload temp files."""

    samples: int
    blobs: frozenset[Path]
    temp_files: frozenset[Path]

    @classmethod
    def now(cls, session: Session) -> Stored:
        session.expire_all()
        root = get_settings().blob_dir
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        blobs = frozenset(p for p in files if p.relative_to(root).parts[0] != "tmp")
        scratch = get_settings().resolved_data_dir / "tmp"
        temps = {p for p in files if p not in blobs}
        temps |= {p for p in scratch.rglob("*") if p.is_file()} if scratch.exists() else set()
        count = session.scalar(select(func.count()).select_from(Sample)) or 0
        return cls(count, blobs, frozenset(temps))
