"""One error shape for the JSON API: every 4xx from /api is {"error": {"code", "message", "details"}}.

Validation errors are 422 naming the field, unknown ids are 404 naming the thing and its id, oversize
uploads are 413. The Edge Impulse-compatible ingestion family answers in its own shape and is left out.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.core.config import get_settings
from backend.projects.permissions import Role
from backend.training import service as training
from tests.support.factories import make_api_key, make_project

MISSING_ID = 987654

# Routes that answer in Edge Impulse's shape on purpose (tests/backend/ingestion covers them).
EI_PATHS = re.compile(r"^/api/\{category\}/|^/v1/")


def _api_routes() -> list[tuple[str, str]]:
    from backend.app import create_app

    found = set()
    for route in iter_route_contexts(create_app().routes):
        path = route.path or ""
        if not path.startswith("/api/") or EI_PATHS.match(path):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return sorted(found, key=lambda r: (r[1], r[0]))


API_ROUTES = _api_routes()
# Child ids a route names in its path (project_id aside): an unknown one must be a 404 naming it.
CHILD_ROUTES = [
    (m, p)
    for m, p in API_ROUTES
    if m in ("GET", "DELETE")
    and "{project_id}" in p
    and any(n != "project_id" for n in re.findall(r"\{(\w+_id)\}", p))
]


def _assert_error_shape(resp: Any) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("application/json"), resp.headers["content-type"]
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def _fill(path: str, project_id: int, child: int = MISSING_ID) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "project_id":
            return str(project_id)
        return str(child) if name.endswith("_id") else "int8"

    return re.sub(r"\{(\w+)\}", one, path)


@pytest.fixture
def admin_key(session: Session) -> tuple[str, int]:
    """An admin-role API key (reads, writes, keys and team) and its project id."""
    project = make_project(session)
    key = make_api_key(session, project, Role.admin)
    session.commit()
    return key, project.id


@pytest.mark.parametrize(("method", "path"), API_ROUTES, ids=lambda v: v)
def test_unauthenticated_api_errors_use_the_error_shape(
    anon_http: TestClient, method: str, path: str
) -> None:
    # Public reads (boards, blocks, sign-in) may answer 2xx; everything else refuses in the one shape.
    resp = anon_http.request(method, _fill(path, 1, 1), headers={"content-type": "application/json"})
    if resp.status_code < 400:
        return
    _assert_error_shape(resp)


@pytest.mark.parametrize(("method", "path"), CHILD_ROUTES, ids=lambda v: v)
def test_unknown_child_id_is_404_naming_the_id(
    anon_http: TestClient, admin_key: tuple[str, int], method: str, path: str
) -> None:
    key, project_id = admin_key
    resp = anon_http.request(method, _fill(path, project_id), headers={"x-api-key": key})
    error = _assert_error_shape(resp)
    assert resp.status_code == 404
    assert error["code"] == "not_found"
    assert str(MISSING_ID) in error["message"], error["message"]


def test_unknown_project_is_404_naming_the_project(anon_http: TestClient, admin_key: tuple[str, int]) -> None:
    key, _ = admin_key
    resp = anon_http.get(f"/api/projects/{MISSING_ID}/samples", headers={"x-api-key": key})
    error = _assert_error_shape(resp)
    assert resp.status_code == 404
    assert error["message"] == f"Project {MISSING_ID} not found."


def test_unknown_api_path_is_404_in_the_error_shape(anon_http: TestClient) -> None:
    resp = anon_http.get("/api/projects/1/no-such-thing")
    assert resp.status_code == 404
    assert _assert_error_shape(resp)["code"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(anon_http: TestClient) -> None:
    resp = anon_http.put("/api/projects", headers={"content-type": "application/json"}, content=b"{}")
    assert resp.status_code == 405
    assert _assert_error_shape(resp)["code"] == "method_not_allowed"


def test_missing_body_field_is_422_naming_the_field(
    anon_http: TestClient, admin_key: tuple[str, int]
) -> None:
    key, project_id = admin_key
    resp = anon_http.put(f"/api/projects/{project_id}/members/1", headers={"x-api-key": key}, json={})
    error = _assert_error_shape(resp)
    assert resp.status_code == 422
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == ["role"]
    assert error["message"].startswith("role:")


def test_out_of_range_query_value_is_422_naming_the_parameter(
    anon_http: TestClient, admin_key: tuple[str, int]
) -> None:
    key, project_id = admin_key
    resp = anon_http.get(f"/api/projects/{project_id}/samples?limit=0", headers={"x-api-key": key})
    error = _assert_error_shape(resp)
    assert resp.status_code == 422
    assert [d["field"] for d in error["details"]] == ["limit"]


def test_non_integer_path_id_is_422_naming_the_parameter(
    anon_http: TestClient, admin_key: tuple[str, int]
) -> None:
    key, project_id = admin_key
    resp = anon_http.get(f"/api/projects/{project_id}/samples/abc", headers={"x-api-key": key})
    error = _assert_error_shape(resp)
    assert resp.status_code == 422
    assert [d["field"] for d in error["details"]] == ["sample_id"]


def test_service_rejection_is_422_naming_the_field(anon_http: TestClient, admin_key: tuple[str, int]) -> None:
    key, project_id = admin_key
    resp = anon_http.patch(f"/api/projects/{project_id}", headers={"x-api-key": key}, json={"name": "   "})
    error = _assert_error_shape(resp)
    assert resp.status_code == 422
    assert error["details"] == {"field": "name"}


def test_viewer_key_write_is_403_in_the_error_shape(anon_http: TestClient, session: Session) -> None:
    project = make_project(session)
    key = make_api_key(session, project, Role.viewer)
    session.commit()
    resp = anon_http.patch(f"/api/projects/{project.id}", headers={"x-api-key": key}, json={"name": "x"})
    assert resp.status_code == 403
    assert _assert_error_shape(resp)["code"] == "permission_denied"


def test_cookie_write_without_csrf_token_is_403_in_the_error_shape(client: Any, session: Session) -> None:
    resp = client.client.post("/api/projects", json={"name": "x"}, cookies={"mf_session": "forged"})
    assert resp.status_code == 403
    assert _assert_error_shape(resp)["code"] == "csrf_failed"


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/projects/{project_id}/samples", "files"), ("/api/projects/{project_id}/models", "file")],
)
def test_oversize_upload_is_413_naming_the_file(
    anon_http: TestClient,
    admin_key: tuple[str, int],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    field: str,
) -> None:
    key, project_id = admin_key
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 4096)
    monkeypatch.setattr(training, "MAX_MODEL_BYTES", 4096)
    body = b"timestamp,accX\n" + b"".join(b"%d,%d\n" % (i * 10, i % 9) for i in range(2000))
    resp = anon_http.post(
        path.format(project_id=project_id),
        headers={"x-api-key": key},
        files=[(field, ("big.csv", body, "text/csv"))],
    )
    error = _assert_error_shape(resp)
    assert resp.status_code == 413, error
    assert error["code"] == "payload_too_large"
    assert "big.csv" in error["message"]


@pytest.mark.parametrize("huge", [2**31, 2**63], ids=["past-int32", "past-int64"])
def test_id_past_the_database_integer_range_is_422_not_a_500(
    anon_http: TestClient, admin_key: tuple[str, int], huge: int
) -> None:
    key, project_id = admin_key
    for url in (
        f"/api/projects/{project_id}/samples/{huge}",
        f"/api/projects/{project_id}/samples?after_id={huge}",
    ):
        resp = anon_http.get(url, headers={"x-api-key": key})
        # PostgreSQL ids are 32-bit and SQLite's 64-bit: past its range a value may still find nothing
        # (404, or an empty page), or is refused as out of range; never a 500.
        if resp.status_code != 200:
            assert resp.status_code in (404, 422), resp.text
            _assert_error_shape(resp)


def test_upload_part_named_outside_latin1_is_stored_with_its_utf8_file_name(
    anon_http: TestClient, admin_key: tuple[str, int]
) -> None:
    key, project_id = admin_key
    resp = anon_http.post(
        f"/api/projects/{project_id}/samples",
        headers={"x-api-key": key},
        files=[("Ā", ("ā.csv", b"timestamp,x\n0,1\n10,2\n", "text/csv"))],
    )
    assert resp.status_code == 200, resp.text
    assert "ā" in resp.json()["files"][0]["filename"]


def test_oversize_json_body_is_413(admin_key: tuple[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.app import create_app

    key, project_id = admin_key
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 4096)
    with TestClient(create_app()) as http:
        resp = http.post(
            f"/api/projects/{project_id}/samples/bulk",
            headers={"x-api-key": key},
            json={"action": "delete", "ids": list(range(1, 5000))},
        )
    assert resp.status_code == 413
    _assert_error_shape(resp)
