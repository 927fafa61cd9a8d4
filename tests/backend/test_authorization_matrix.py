"""Authorization on every project route, generated from the app's route table so a new route is covered.

For each route with a `{project_id}` path parameter (JSON API and pages): a signed-in stranger and an API
key of another project get 404 and change nothing, no credentials is 401 (pages: a redirect to /signin),
and a viewer is refused every unsafe method (403) while every read answers 2xx (or 404 for a child row
that does not exist). The Edge Impulse-compatible ingestion routes are checked apart, in their own shape.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.db import Base, get_sessionmaker, session_scope
from backend.core.principal import Principal
from backend.data import service as data
from backend.impulses import service as impulses
from backend.impulses.schemas import ImpulseCreate
from backend.jobs.models import Job, JobStatus
from backend.projects import service as projects
from backend.projects.models import ApiKey, Project
from backend.projects.permissions import Action, Role
from tests.support.factories import (
    PASSWORD,
    add_member,
    make_api_key,
    make_project,
    make_user,
    write_tone_wav,
)
from tests.support.fixtures import ApiClient, _truncate_all

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Routes outside this matrix on purpose. The Edge Impulse-compatible API authenticates only by x-api-key
# and answers in Edge Impulse's shape ({"success": false, "error": ...}); test_ei_* below check it.
NOT_IN_MATRIX = {("GET", "/v1/api/{project_id}")}

# Reads that need more than the viewer role, by the permission matrix: the team, API keys, the HMAC
# key and the audit log are for admins (manage_team / manage_keys / admin).
VIEWER_CANNOT_READ = {
    ("GET", "/api/projects/{project_id}/keys"),
    ("GET", "/api/projects/{project_id}/hmac-key"),
    ("GET", "/api/projects/{project_id}/audit"),
    # Pages that exist only to add data (upload form, live capture) need the write role.
    ("GET", "/projects/{project_id}/data/upload"),
    ("GET", "/projects/{project_id}/data/capture"),
}

# POSTs that only re-render a form from what was posted (htmx previews) and store nothing: a viewer may
# use them; the fingerprint still proves nothing changed.
VIEWER_MAY_POST = {("POST", "/projects/{project_id}/train/layers")}

# Reads that need a trained model: before any training they answer 422 naming what is missing, to the
# owner and the viewer alike (this module trains nothing; the deploy tests cover them after training).
NEEDS_A_TRAINED_MODEL = {
    ("GET", "/api/projects/{project_id}/deployments/estimates"),
    ("GET", "/api/projects/{project_id}/deploy/estimates"),
    ("GET", "/projects/{project_id}/deploy/estimates"),
}

# Columns that a request may touch without changing anything the user owns: when an API key was last used
# (the foreign project's key is used by every request of that case).
VOLATILE_COLUMNS = {"last_used_at"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _project_routes() -> list[Case]:
    """Every (method, path) with a {project_id} parameter, as the app serves them."""
    from backend.app import create_app

    cases = set()
    for route in iter_route_contexts(create_app().routes):
        path = route.path or ""
        if "{project_id}" not in path:
            continue
        for method in route.methods or ():
            if method != "HEAD" and (method, path) not in NOT_IN_MATRIX:
                cases.add(Case(method, path))
    return sorted(cases, key=lambda c: (c.path, c.method))


CASES = _project_routes()


@dataclass
class World:
    """One project with a row of each kind a path can name, the people around it, and a second project."""

    project_id: int
    ids: dict[str, int | str]
    owner_email: str
    stranger: ApiClient
    viewer: ApiClient
    anonymous: ApiClient
    foreign_key: ApiClient

    def url(self, case: Case) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return str(self.project_id if name == "project_id" else self.ids.get(name, 1))

        return re.sub(r"\{(\w+)(?::\w+)?\}", fill, case.path)


def _seed(session: Session, tmp: Path) -> tuple[int, dict[str, int | str], dict[str, str]]:
    owner = make_user(session)
    viewer = make_user(session)
    stranger = make_user(session)
    project = make_project(session, owner)
    add_member(session, project, viewer, Role.viewer)
    make_api_key(session, project)
    other = make_project(session, stranger)
    foreign_key = make_api_key(session, other)
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)

    # An audio sample, so the audio player route has something to play; every sample route accepts it.
    clip = write_tone_wav(tmp / "tone.wav")
    sample = data.ingest_file(session, ctx, clip, "tone.wav", label="tone", category="training")[0]
    impulse = impulses.save(
        session,
        ctx,
        ImpulseCreate.model_validate(
            {
                "name": "Motion",
                "input_block": {
                    "type": "timeseries",
                    "window_ms": 1000,
                    "stride_ms": 500,
                    "frequency_hz": 10,
                    "axes": ["accX", "accY"],
                },
                "dsp_blocks": [{"type": "raw", "params": {}}],
                "learn_blocks": [{"type": "classifier", "params": {"epochs": 1}}],
            }
        ),
    )
    # A finished job row, written directly: starting one through the service would also queue a task
    # that no worker of this module consumes.
    job = Job(project_id=project.id, type="test-sleep", status=JobStatus.succeeded, params={}, result={})
    session.add(job)
    session.flush()
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.project_id == project.id))
    assert key_id is not None
    ids: dict[str, int | str] = {
        "sample_id": sample.id,
        "impulse_id": impulse.id,
        "job_id": job.id,
        "user_id": owner.id,
        "key_id": key_id,
        "dsp_id": impulse.dsp_blocks[0].get("id", "0"),
        "kind": "tflite",
    }
    emails = {"owner": owner.email, "viewer": viewer.email, "stranger": stranger.email, "key": foreign_key}
    return project.id, ids, emails


@pytest.fixture(scope="module")
def world(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    session = get_sessionmaker()()
    try:
        project_id, ids, emails = _seed(session, tmp_path_factory.mktemp("authz"))
        session.commit()
    finally:
        session.close()
    with ExitStack() as stack:

        def client() -> ApiClient:
            return ApiClient(stack.enter_context(TestClient(app, follow_redirects=False)))

        stranger, viewer, anonymous, foreign = client(), client(), client(), client()
        stranger.sign_in(emails["stranger"], PASSWORD)
        viewer.sign_in(emails["viewer"], PASSWORD)
        foreign.client.headers["x-api-key"] = emails["key"]
        yield World(project_id, ids, emails["owner"], stranger, viewer, anonymous, foreign)
    _truncate_all()


def _fingerprint() -> str:
    """A digest of every stored row (volatile 'last seen' columns left out)."""
    digest = hashlib.sha256()
    session = get_sessionmaker()()
    try:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
            order = list(table.primary_key.columns) or cols
            for row in session.execute(select(*cols).order_by(*order)):
                digest.update(repr((table.name, tuple(row))).encode())
    finally:
        session.close()
    return digest.hexdigest()


def _send(who: ApiClient, world: World, case: Case):  # type: ignore[no-untyped-def]
    return who.request(case.method, world.url(case))


def _is_project_not_found(resp, world: World) -> bool:  # type: ignore[no-untyped-def]
    return resp.status_code == 404 and f"Project {world.project_id} not found" in resp.text


def test_fingerprint_sees_a_changed_row(world: World) -> None:
    # Guards the "nothing changed" checks: a one-character edit anywhere must change the digest.
    before = _fingerprint()
    with session_scope() as session:
        project = session.get(Project, world.project_id)
        assert project is not None
        original = project.description
        project.description = original + "x"
    changed = _fingerprint()
    with session_scope() as session:
        project = session.get(Project, world.project_id)
        assert project is not None
        project.description = original
    assert changed != before
    assert _fingerprint() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_signed_in_stranger_gets_404_and_nothing_changes(world: World, case: Case) -> None:
    before = _fingerprint()
    resp = _send(world.stranger, world, case)
    assert _is_project_not_found(resp, world), (resp.status_code, resp.text[:300])
    assert _fingerprint() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_api_key_of_another_project_gets_404_and_nothing_changes(world: World, case: Case) -> None:
    before = _fingerprint()
    resp = _send(world.foreign_key, world, case)
    assert _is_project_not_found(resp, world), (resp.status_code, resp.text[:300])
    assert _fingerprint() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_no_credentials_is_401_for_the_api_and_a_signin_redirect_for_pages(world: World, case: Case) -> None:
    before = _fingerprint()
    resp = _send(world.anonymous, world, case)
    if case.is_api:
        assert resp.status_code == 401, (resp.status_code, resp.text[:300])
        assert resp.json()["error"]["code"] == "not_authenticated"
    else:
        assert resp.status_code in (302, 303, 307), (resp.status_code, resp.text[:300])
        assert resp.headers["location"].startswith("/signin")
    assert _fingerprint() == before


@pytest.mark.parametrize("case", [c for c in CASES if c.method in UNSAFE], ids=str)
def test_viewer_is_refused_every_unsafe_method(world: World, case: Case) -> None:
    before = _fingerprint()
    resp = _send(world.viewer, world, case)
    expected = 200 if (case.method, case.path) in VIEWER_MAY_POST else 403
    assert resp.status_code == expected, (resp.status_code, resp.text[:300])
    assert _fingerprint() == before


@pytest.mark.parametrize("case", [c for c in CASES if c.method == "GET"], ids=str)
def test_viewer_reads_every_page_and_resource(world: World, case: Case) -> None:
    resp = _send(world.viewer, world, case)
    if (case.method, case.path) in VIEWER_CANNOT_READ:
        assert resp.status_code == 403, (resp.status_code, resp.text[:300])
        return
    if (case.method, case.path) in NEEDS_A_TRAINED_MODEL:
        assert resp.status_code == 422, (resp.status_code, resp.text[:300])
        assert "model" in resp.text
        return
    # A path naming a child row that does not exist (a model before any training) is a 404 for that row,
    # never for the project.
    ok = 200 <= resp.status_code < 300 or (resp.status_code == 404 and not _is_project_not_found(resp, world))
    assert ok, (resp.status_code, resp.text[:300])


# Edge Impulse-compatible ingestion: x-api-key only, Edge Impulse's answer shape ----------------------------


@pytest.fixture
def ingestion_key(session: Session) -> tuple[str, str, int]:
    """(a live key, a revoked key, their project id)."""
    project = make_project(session)
    live = make_api_key(session, project)
    revoked = make_api_key(session, project)
    ctx = projects.ProjectContext(project=project, role=Role.owner, principal=Principal())
    revoked_id = session.scalar(
        select(ApiKey.id).where(ApiKey.project_id == project.id).order_by(ApiKey.id.desc())
    )
    assert revoked_id is not None
    projects.revoke_api_key(session, ctx, revoked_id)
    session.commit()
    return live, revoked, project.id


EI_ROUTES = [
    ("POST", "/api/training/files"),
    ("GET", "/v1/api/projects"),
    ("GET", "/v1/api/{project_id}"),
]


@pytest.mark.parametrize(("method", "path"), EI_ROUTES, ids=lambda v: v)
@pytest.mark.parametrize("key_kind", ["missing", "invalid", "revoked"])
def test_ei_routes_refuse_a_bad_key_with_401_in_edge_impulse_shape(
    anon_http: TestClient, ingestion_key: tuple[str, str, int], method: str, path: str, key_kind: str
) -> None:
    live, revoked, project_id = ingestion_key
    headers = {"missing": {}, "invalid": {"x-api-key": "ei_" + "0" * 40}, "revoked": {"x-api-key": revoked}}
    files = {"data": ("a.csv", b"timestamp,x\n0,1\n", "text/csv")} if method == "POST" else None
    resp = anon_http.request(
        method, path.format(project_id=project_id), headers=headers[key_kind], files=files
    )
    assert resp.status_code == 401, resp.text
    body = resp.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]


def test_ei_project_route_hides_another_project_from_a_valid_key(
    anon_http: TestClient, session: Session, ingestion_key: tuple[str, str, int]
) -> None:
    live, _, _ = ingestion_key
    other = make_project(session)
    session.commit()
    resp = anon_http.get(f"/v1/api/{other.id}", headers={"x-api-key": live})
    assert resp.status_code == 404
    assert resp.json()["success"] is False


@pytest.mark.parametrize("key_kind", ["missing", "invalid", "revoked"])
def test_ei_legacy_data_route_refuses_a_bad_key_with_401_in_plain_text(
    anon_http: TestClient, ingestion_key: tuple[str, str, int], key_kind: str
) -> None:
    _, revoked, _ = ingestion_key
    headers = {"missing": {}, "invalid": {"x-api-key": "ei_" + "0" * 40}, "revoked": {"x-api-key": revoked}}
    resp = anon_http.post(
        "/api/training/data", headers={**headers[key_kind], "content-type": "application/json"}, content=b"{}"
    )
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("text/plain")
    assert "key" in resp.text


def test_every_project_route_is_in_the_matrix() -> None:
    # The matrix is generated from the route table; this guards the generator itself (a FastAPI change
    # that hid included routers would silently empty it).
    assert len(CASES) > 50
    assert any(c.path == "/api/projects/{project_id}/samples" for c in CASES)
    assert any(not c.is_api for c in CASES)
