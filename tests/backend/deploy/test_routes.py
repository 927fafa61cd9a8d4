"""The deploy JSON API and pages: boards, declared errors, permissions, and a build on a real worker."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.projects.permissions import Role
from firmware.boards import BOARDS
from firmware.deploy.verify import verify_bundle
from tests.backend.deploy.conftest import DeployStudio
from tests.support.factories import PASSWORD, add_member, make_api_key, make_user


def _wait_ready(http, project_id: int, deployment_id: int, headers: dict, timeout: float = 240) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = http.get(f"/api/projects/{project_id}/deployments/{deployment_id}", headers=headers).json()
        if body["status"] != "building":
            return body
        time.sleep(0.5)
    raise AssertionError(f"deployment {deployment_id} still building after {timeout} s")


def test_the_boards_api_lists_the_registry_and_which_boards_are_emulated(
    anon_http, studio: DeployStudio
) -> None:  # type: ignore[no-untyped-def]
    resp = anon_http.get("/api/boards", headers={"x-api-key": studio.key})
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == len(BOARDS) and [b["id"] for b in body["data"]] == list(BOARDS)
    by_id = {b["id"]: b for b in body["data"]}
    assert by_id["esp32"]["emulated"] is False and by_id["esp32-s3"]["emulated"] is False
    assert (
        by_id["generic-cortex-m4f"]["emulated"] is True
        and by_id["generic-cortex-m4f"]["kinds"][0] == "firmware"
    )
    assert anon_http.get("/api/boards").status_code == 401


def test_an_unknown_board_over_the_api_is_a_422_listing_the_valid_ones(
    anon_http, studio: DeployStudio
) -> None:  # type: ignore[no-untyped-def]
    resp = anon_http.post(
        f"/api/projects/{studio.project.id}/deployments",
        json={"board_id": "arduino-uno"},
        headers={"x-api-key": studio.key},
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid_input" and "valid boards:" in error["message"]
    assert error["details"]["valid"] == list(BOARDS)


def test_someone_outside_the_project_sees_no_deployments(
    client, session: Session, studio: DeployStudio
) -> None:  # type: ignore[no-untyped-def]
    outsider = make_user(session)
    session.commit()
    client.sign_in(outsider.email, PASSWORD)
    assert client.get(f"/api/projects/{studio.project.id}/deployments").status_code == 404


def test_the_deploy_page_offers_every_board_and_links_the_boards_page(client, studio: DeployStudio) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(studio.owner.email, PASSWORD)
    page = client.get(f"/projects/{studio.project.id}/deploy").text
    assert 'id="deploy-form"' in page and 'href="/boards"' in page
    assert all(f'value="{board_id}"' in page for board_id in BOARDS)
    boards = client.get("/boards").text
    assert 'id="esp32-note"' in boards and "built, not emulated" in boards


def test_showing_the_deploy_page_starts_one_measurement_and_shows_the_plan_bounds_meanwhile(
    client, session: Session, studio: DeployStudio, jobs_held: list
) -> None:  # type: ignore[no-untyped-def]
    from backend.jobs.models import Job

    client.sign_in(studio.owner.email, PASSWORD)
    page = client.get(f"/projects/{studio.project.id}/deploy").text
    again = client.get(f"/projects/{studio.project.id}/deploy").text
    jobs = session.scalars(select(Job).where(Job.type == "deploy-estimates")).all()
    assert len(jobs) == 1 and jobs[0].params["model_id"] == studio.model.id
    for html in (page, again):
        assert 'id="estimates" data-status="measuring"' in html and 'hx-trigger="every 1s"' in html
        assert f"/deploy/estimates?model={studio.model.id}&board=arduino-nano-33-ble-sense" in html
        assert f"0 of {len(BOARDS)} boards done" in html and f"#{jobs[0].id}</a>" in html
    row = page.split('data-board="generic-cortex-m4f"')[1].split("</tr>")[0]
    assert 'data-fits="yes" data-measured="no"' in row and "≥ " in row and "(plan)" in row
    # The partial it polls answers the same state, without starting anything more.
    partial = client.get(f"/projects/{studio.project.id}/deploy/estimates?model={studio.model.id}")
    assert partial.status_code == 200 and 'data-status="measuring"' in partial.text
    assert len(session.scalars(select(Job).where(Job.type == "deploy-estimates")).all()) == 1


def test_the_estimates_api_answers_202_with_the_job_then_409_until_every_board_is_measured(
    anon_http, session: Session, studio: DeployStudio, jobs_held: list
) -> None:  # type: ignore[no-untyped-def]
    pid, headers = studio.project.id, {"x-api-key": studio.key}
    not_yet = anon_http.get(f"/api/projects/{pid}/deploy/estimates", headers=headers)
    assert not_yet.status_code == 409
    error = not_yet.json()["error"]
    assert error["details"] == {"status": "not_measured", "job_id": None, "measured": []}
    assert f"POST /api/projects/{pid}/deploy/estimates" in error["message"]
    started = anon_http.post(f"/api/projects/{pid}/deploy/estimates", headers=headers)
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["status"] == "measuring" and body["model_id"] == studio.model.id and body["measured"] == []
    assert (
        list(body["boards"]) == list(BOARDS) and body["boards"]["generic-cortex-m4f"]["measured_on"] is None
    )
    same = anon_http.post(f"/api/projects/{pid}/deploy/estimates?model_id={studio.model.id}", headers=headers)
    assert same.status_code == 202 and same.json()["job_id"] == body["job_id"]
    job = anon_http.get(f"/api/projects/{pid}/jobs/{body['job_id']}", headers=headers).json()
    assert job["type"] == "deploy-estimates" and job["status"] == "queued"
    for path in ("deploy/estimates", "deployments/estimates"):
        measuring = anon_http.get(f"/api/projects/{pid}/{path}", headers=headers)
        assert measuring.status_code == 409
        assert measuring.json()["error"]["details"]["job_id"] == body["job_id"]
    assert (
        anon_http.post(f"/api/projects/{pid}/deploy/estimates?model_id=999999", headers=headers).status_code
        == 404
    )


def test_the_deploy_page_says_to_train_first_when_no_model_is_ready(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import make_project

    owner = make_user(session)
    project = make_project(session, owner)
    session.commit()
    client.sign_in(owner.email, PASSWORD)
    page = client.get(f"/projects/{project.id}/deploy").text
    assert 'id="no-model"' in page and "Train a model" in page


@pytest.mark.slow
@pytest.mark.qemu
def test_a_member_builds_and_a_viewer_downloads_the_verified_zip_but_cannot_build(
    client,  # type: ignore[no-untyped-def]
    session: Session,
    studio: DeployStudio,
    celery_worker: object,
    tmp_path: Path,
) -> None:
    member_key = make_api_key(session, studio.project, Role.member)
    viewer = make_user(session)
    add_member(session, studio.project, viewer, Role.viewer)
    session.commit()
    http, pid = client.client, studio.project.id
    headers = {"x-api-key": member_key}
    resp = http.post(
        f"/api/projects/{pid}/deployments", json={"board_id": "generic-cortex-m4f"}, headers=headers
    )
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["status"] == "building" and started["kind"] == "firmware"
    done = _wait_ready(http, pid, started["id"], headers)
    assert done["status"] == "ready", done
    assert "classify example, native x86_64" in done["verification_log"]

    client.sign_in(viewer.email, PASSWORD)
    download = client.get(f"/api/projects/{pid}/deployments/{done['id']}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert "generic-cortex-m4f-firmware.zip" in download.headers["content-disposition"]
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(download.content)
    assert verify_bundle(bundle).ok
    assert "firmware/firmware.hex" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    refused = client.post(f"/api/projects/{pid}/deployments", json={"board_id": "generic-cortex-m4f"})
    assert refused.status_code == 403
    history = client.get(f"/api/projects/{pid}/deployments").json()
    assert history["count"] == 1 and history["data"][0]["bundle_sha256"] == done["bundle_sha256"]


def test_a_refused_build_on_the_page_says_why_next_to_the_form(client, studio: DeployStudio) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(studio.owner.email, PASSWORD)
    resp = client.post(
        f"/projects/{studio.project.id}/deploy/build", data={"board_id": "raspberry-pi-4", "kind": "arduino"}
    )
    assert resp.status_code == 422
    assert 'id="build-error"' in resp.text
    assert (
        "board raspberry-pi-4 is not offered kind &#39;arduino&#39;; valid kinds for it: linux, c-library"
        in resp.text
    )
