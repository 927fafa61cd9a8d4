"""The demo install that `make run` offers: a demo account and a project filled by the domains' seeders."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth import service as auth
from backend.core.principal import Principal
from backend.projects import service as projects
from backend.projects.models import Project

DEMO_EMAIL = "demo@moteforge.dev"
DEMO_PASSWORD = "moteforge-demo"
DEMO_PROJECT = "Demo: BasicMotions activity recognition"

# Domains append fn(session, project) that fill the demo project idempotently (e.g. the dataset).
DEMO_SEEDERS: list[Callable[[Session, Project], None]] = []


def seed_demo(session: Session) -> Project:
    import importlib

    from backend.domains import DEMO_MODULES

    for module in DEMO_MODULES:
        importlib.import_module(module)
    user = auth.get_by_email(session, DEMO_EMAIL) or auth.create_user(
        session, DEMO_EMAIL, DEMO_PASSWORD, "Demo user"
    )
    project = session.scalar(
        select(Project).where(Project.name == DEMO_PROJECT, Project.owner_user_id == user.id)
    )
    if project is None:
        project = projects.create(
            session,
            Principal(user=user),
            DEMO_PROJECT,
            "Smartwatch accelerometer and gyroscope recordings of four activities (sktime BasicMotions).",
        )
    for seeder in DEMO_SEEDERS:
        seeder(session, project)
    return project
