"""Schema fuzzing of the JSON API: schemathesis drives every /api operation in-process with a project API key.

No answer may be a 5xx, and every answer must use a status code, content type and body that the OpenAPI
schema declares. Bounded: a few examples per operation and a time budget for the whole module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from backend.app import create_app
from backend.core.db import get_sessionmaker
from backend.core.principal import Principal
from backend.data import service as data
from backend.projects import service as projects
from backend.projects.permissions import Action
from tests.support.factories import make_api_key, make_project, make_user, write_tone_wav
from tests.support.fixtures import _truncate_all

pytestmark = pytest.mark.slow

# Examples per operation and the whole module's budget: past the budget the remaining operations are
# skipped (and say so), so a slow machine shortens the run instead of timing it out.
EXAMPLES_PER_OPERATION = 10
BUDGET_S = 75.0

# Not negative_data_rejection: pydantic's lax mode accepts `false` for an integer and unknown query
# parameters are ignored by design, which that check reports as "schema-violating request accepted".
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

APP = create_app()


async def _without_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    """The studio without its lifespan (the job reaper).

    schemathesis keeps an app's lifespan running in a background thread for the rest of the process; the
    reaper would then poll a database that is not migrated yet at collection time, and every failure it
    logs formats a traceback (which parses source) concurrently with collection, which CPython 3.11's
    shared AST state does not survive.
    """
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await APP(scope, receive, send)


SCHEMA = (
    schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan)
    .include(path_regex=r"^/api/")
    # The Edge Impulse-compatible ingestion family authenticates and answers in its own way and reads raw
    # multipart/CBOR bodies that the schema describes loosely; its own tests cover it.
    .exclude(path_regex=r"^/api/\{category\}/")
    # Signing up, in and out changes who the client is; the key-authenticated run has no use for them.
    .exclude(path_regex=r"^/api/auth/")
)


@dataclass
class Seeded:
    project_id: int
    key: str
    started: float


def _seed(session: Session, tmp: Path) -> tuple[int, str]:
    owner = make_user(session)
    project = make_project(session, owner)
    key = make_api_key(session, project)
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)
    clip = write_tone_wav(tmp / "tone.wav")
    data.ingest_file(session, ctx, clip, "tone.wav", label="tone", category="training")
    return project.id, key


@pytest.fixture(scope="module")
def seeded(database: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    session = get_sessionmaker()()
    try:
        project_id, key = _seed(session, tmp_path_factory.mktemp("fuzz"))
        session.commit()
    finally:
        session.close()
    yield Seeded(project_id, key, time.monotonic())
    _truncate_all()


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_operation_answers_as_declared_and_never_with_a_server_error(
    case: schemathesis.Case, seeded: Seeded
) -> None:
    if time.monotonic() - seeded.started > BUDGET_S:
        pytest.skip(f"fuzzing budget of {BUDGET_S:.0f} s spent")
    if "project_id" in case.path_parameters:
        # Aim at the seeded project so requests reach the handlers, not only the 404 of a random id.
        case.path_parameters["project_id"] = seeded.project_id
    case.call_and_validate(headers={"x-api-key": seeded.key}, checks=CHECKS)
