"""Fixtures for training tests: a project with a BasicMotions-like dataset and a saved impulse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.core.principal import Principal
from backend.impulses.models import Impulse
from backend.projects import service as projects
from backend.projects.models import Project
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from tests.backend.training.factories import add_motion_dataset, save_impulse
from tests.support.factories import make_api_key, make_project, make_user


@dataclass
class Studio:
    owner: User
    project: Project
    ctx: ProjectContext
    key: str
    impulse: Impulse | None = None


@pytest.fixture
def studio(session: Session) -> Studio:
    """A project and its owner, no data yet."""
    owner = make_user(session)
    project = make_project(session, owner)
    key = make_api_key(session, project)
    session.commit()
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)
    return Studio(owner, project, ctx, key)


@pytest.fixture
def motions(session: Session, studio: Studio, tmp_path: Path) -> Studio:
    """The project with the motion dataset (6 training, 2 testing recordings per activity) and an impulse:
    2 s windows every 1 s through the flatten block into a small dense classifier."""
    add_motion_dataset(session, studio.ctx, tmp_path / "recordings")
    studio.impulse = save_impulse(session, studio.ctx, learn_params={"epochs": 30, "learning_rate": 0.01})
    session.commit()
    return studio
