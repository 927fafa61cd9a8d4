"""Fixtures for deployment tests: a project with an uploaded int8 model and testing recordings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.core.principal import Principal
from backend.projects import service as projects
from backend.projects.models import Project
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from backend.training.models import TrainedModel
from tests.backend.deploy.factories import motion_project
from tests.support.factories import make_api_key, make_project, make_user


@dataclass
class DeployStudio:
    owner: User
    project: Project
    ctx: ProjectContext
    key: str
    model: TrainedModel


@pytest.fixture
def studio(session: Session, tmp_path: Path) -> DeployStudio:
    owner = make_user(session)
    project = make_project(session, owner)
    key = make_api_key(session, project)
    session.commit()
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)
    model = motion_project(session, ctx, tmp_path / "recordings")
    return DeployStudio(owner, project, ctx, key, model)
