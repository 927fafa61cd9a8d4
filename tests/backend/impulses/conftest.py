"""Fixtures for the impulse tests: a project with its owner and a write context."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.core.principal import Principal
from backend.projects import service as projects
from backend.projects.models import Project
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from tests.support.factories import make_project, make_user


@dataclass
class Owned:
    owner: User
    project: Project
    ctx: ProjectContext


@pytest.fixture
def owned(session: Session) -> Owned:
    owner = make_user(session)
    project = make_project(session, owner)
    session.commit()
    return Owned(
        owner, project, projects.get_context(session, Principal(user=owner), project.id, Action.write)
    )
