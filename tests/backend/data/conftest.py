"""Fixtures for the data domain: a project with its owner, write context and API key, a signed-in client,
and the upload corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.projects import service as projects
from backend.projects.permissions import Action
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import World
from tests.support.factories import PASSWORD, make_api_key, make_project, make_user


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return Corpus(tmp_path / "corpus")


@pytest.fixture
def world(session: Session) -> World:
    owner = make_user(session)
    project = make_project(session, owner)
    key = make_api_key(session, project)
    session.commit()
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)
    return World(owner, project, ctx, key)


@pytest.fixture
def owner_client(client, world: World):  # type: ignore[no-untyped-def]
    client.sign_in(world.owner.email, PASSWORD)
    return client
