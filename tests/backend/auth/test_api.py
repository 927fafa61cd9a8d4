"""Accounts over the JSON API: sign up, sign in/out, sessions, CSRF."""

from __future__ import annotations

from tests.support.factories import PASSWORD


def test_sign_up_opens_a_session(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(
        "/api/auth/signup", json={"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
    )
    assert resp.status_code == 201
    assert resp.json()["email"] == "ada@example.com"
    assert client.get("/api/auth/me").json()["name"] == "Ada"


def test_duplicate_email_is_a_conflict(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD})
    resp = client.post("/api/auth/signup", json={"email": "A@example.com", "password": PASSWORD})
    assert resp.status_code == 409
    assert "already exists" in resp.json()["error"]["message"]


def test_short_password_is_a_validation_error_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/auth/signup", json={"email": "b@example.com", "password": "short"})
    assert resp.status_code == 422
    body = resp.json()["error"]
    assert body["code"] == "validation_error"
    assert body["details"][0]["field"] == "password"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/auth/signup", json={"email": "c@example.com", "password": PASSWORD})
    client.post("/api/auth/signout")
    for email, password in [("c@example.com", "nope-nope"), ("nobody@example.com", PASSWORD)]:
        resp = client.post("/api/auth/signin", json={"email": email, "password": password})
        assert resp.status_code == 401
        assert resp.json()["error"]["message"] == "Wrong email or password."


def test_sign_out_ends_the_session(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/auth/signup", json={"email": "d@example.com", "password": PASSWORD})
    cookie = client.client.cookies.get("mf_session")
    assert client.post("/api/auth/signout").status_code == 204
    client.client.cookies.set("mf_session", cookie)  # a stolen copy of the old cookie is worthless
    assert client.get("/api/auth/me").status_code == 401


def test_passwords_are_stored_as_argon2_hashes(client, session) -> None:  # type: ignore[no-untyped-def]
    from backend.auth.service import get_by_email

    client.post("/api/auth/signup", json={"email": "e@example.com", "password": PASSWORD})
    user = get_by_email(session, "e@example.com")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_cookie_authenticated_write_without_csrf_header_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/auth/signup", json={"email": "f@example.com", "password": PASSWORD})
    resp = client.client.post("/api/projects", json={"name": "No token"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "csrf_failed"


def test_form_post_without_csrf_token_is_refused_even_when_signed_out(anon_http) -> None:  # type: ignore[no-untyped-def]
    resp = anon_http.post("/signin", data={"email": "x@example.com", "password": "whatever1"})
    assert resp.status_code == 403
