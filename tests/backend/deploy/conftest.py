"""Fixtures for deployment tests: a project with an uploaded int8 model and testing recordings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.core.principal import Principal
from backend.jobs.models import FINISHED, Job
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


def finish_job(session: Session, job_id: int, timeout: float = 300) -> str:
    """Wait for the Celery worker (the ``celery_worker`` fixture) to finish the job; its final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        if job is not None and job.status in FINISHED:
            return job.status
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def jobs_held(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list]]:
    """The tasks this test's commits send, kept here instead of on the broker: its jobs stay queued, so the
    Celery worker that another test may have started in this process cannot race its assertions."""
    from workers.celery_app import celery_app

    held: list[tuple[str, list]] = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args=None, **_: held.append((name, list(args))))
    return held
