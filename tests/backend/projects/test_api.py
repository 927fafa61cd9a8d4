"""Projects, members, invites, API keys and the audit log over the JSON API."""

from __future__ import annotations

from tests.support.factories import PASSWORD


def _signup(client, email: str) -> None:  # type: ignore[no-untyped-def]
    client.client.cookies.clear()
    client.client.get("/healthz")
    assert client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201


def test_create_and_list_projects(client) -> None:  # type: ignore[no-untyped-def]
    _signup(client, "owner@example.com")
    created = client.post("/api/projects", json={"name": "Keyword spotting"}).json()
    assert created["role"] == "owner"
    listed = client.get("/api/projects").json()
    assert listed["count"] == 1 and listed["data"][0]["name"] == "Keyword spotting"


def test_invite_link_adds_the_teammate_with_the_chosen_role(client) -> None:  # type: ignore[no-untyped-def]
    _signup(client, "owner2@example.com")
    pid = client.post("/api/projects", json={"name": "Gestures"}).json()["id"]
    invite = client.post(f"/api/projects/{pid}/invites", json={"role": "viewer"}).json()
    assert invite["url"].endswith(invite["token"])
    _signup(client, "mate@example.com")
    assert client.get(f"/api/projects/{pid}").status_code == 404
    assert client.post(f"/api/invites/{invite['token']}/accept").json()["role"] == "viewer"
    assert client.get(f"/api/projects/{pid}").json()["role"] == "viewer"
    # A viewer cannot change the project.
    resp = client.patch(f"/api/projects/{pid}", json={"name": "Renamed"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"
    # The link works once.
    assert client.post(f"/api/invites/{invite['token']}/accept").status_code == 409


def test_api_key_is_shown_once_and_works_as_x_api_key(client, anon_http) -> None:  # type: ignore[no-untyped-def]
    _signup(client, "keys@example.com")
    pid = client.post("/api/projects", json={"name": "Air quality"}).json()["id"]
    created = client.post(f"/api/projects/{pid}/keys", json={"name": "CI"}).json()
    assert created["key"].startswith("mf_")
    listed = client.get(f"/api/projects/{pid}/keys").json()["data"]
    assert "key" not in listed[0] and listed[0]["prefix"] == created["key"][:10]
    resp = anon_http.get("/api/projects", headers={"x-api-key": created["key"]})
    assert [p["id"] for p in resp.json()["data"]] == [pid]
    client.delete(f"/api/projects/{pid}/keys/{created['id']}")
    assert anon_http.get("/api/projects", headers={"x-api-key": created["key"]}).status_code == 401


def test_unknown_project_is_404_in_the_common_error_shape(client) -> None:  # type: ignore[no-untyped-def]
    _signup(client, "x@example.com")
    body = client.get("/api/projects/424242").json()
    assert body == {"error": {"code": "not_found", "message": "Project 424242 not found.", "details": None}}


def test_unauthenticated_api_call_is_401(anon_http) -> None:  # type: ignore[no-untyped-def]
    resp = anon_http.get("/api/projects")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


def test_audit_log_records_who_did_what(client) -> None:  # type: ignore[no-untyped-def]
    _signup(client, "audit@example.com")
    pid = client.post("/api/projects", json={"name": "Audited"}).json()["id"]
    client.post(f"/api/projects/{pid}/keys", json={"name": "k"})
    actions = [e["action"] for e in client.get(f"/api/projects/{pid}/audit").json()["data"]]
    assert actions[:2] == ["apikey.create", "project.create"]


def test_openapi_lists_the_api(anon_http) -> None:  # type: ignore[no-untyped-def]
    paths = anon_http.get("/openapi.json").json()["paths"]
    assert "/api/projects/{project_id}/jobs" in paths
    assert "/api/projects/{project_id}/keys" in paths
