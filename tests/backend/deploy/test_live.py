"""Live classification on the Deploy page: the model's wasm bundle built through the deploy build, its
module and loader served to project members only, and the panel the page's script runs them from."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from backend.deploy import live, service
from backend.jobs import service as jobs
from backend.projects.permissions import Role
from tests.backend.deploy.conftest import DeployStudio, finish_job
from tests.support.factories import PASSWORD, add_member, make_user


def test_preparing_the_browser_bundle_is_a_wasm_build_and_asking_twice_reuses_it(
    session: Session, studio: DeployStudio, jobs_held: list
) -> None:
    first = live.prepare(session, studio.ctx, studio.model.id)
    session.commit()
    again = live.prepare(session, studio.ctx, studio.model.id)
    assert (first.board_id, first.kind, first.status) == ("wasm", "wasm", "building")
    assert again.id == first.id and again.job_id == first.job_id
    assert live.bundle(session, studio.ctx, studio.model).id == first.id


def test_the_page_offers_to_build_the_browser_bundle_and_the_panel_follows_the_build(
    client, session: Session, studio: DeployStudio, jobs_held: list
) -> None:  # type: ignore[no-untyped-def]
    client.sign_in(studio.owner.email, PASSWORD)
    pid = studio.project.id
    page = client.get(f"/projects/{pid}/deploy").text
    assert 'id="live" data-status="none"' in page and 'id="live-prepare"' in page
    assert '<script type="module" src="/static/deploy-live.js">' in page
    panel = client.post(f"/projects/{pid}/deploy/live", data={"model_id": studio.model.id})
    assert panel.status_code == 200 and 'data-status="building"' in panel.text
    deployment = live.bundle(session, studio.ctx, studio.model)
    assert deployment is not None and (deployment.board_id, deployment.kind) == ("wasm", "wasm")
    assert f'hx-get="/projects/{pid}/deploy/live/{deployment.id}" hx-trigger="every 1s"' in panel.text


def test_a_viewer_sees_no_build_button_for_the_browser_bundle(
    client, session: Session, studio: DeployStudio
) -> None:  # type: ignore[no-untyped-def]
    viewer = make_user(session)
    add_member(session, studio.project, viewer, Role.viewer)
    session.commit()
    client.sign_in(viewer.email, PASSWORD)
    page = client.get(f"/projects/{studio.project.id}/deploy").text
    assert 'id="live" data-status="none"' in page and 'id="live-prepare"' not in page
    assert "building one needs the member role" in page


@pytest.mark.slow
def test_a_verified_wasm_bundle_serves_its_module_and_loader_to_members_only(
    client, session: Session, studio: DeployStudio, celery_worker: object
) -> None:  # type: ignore[no-untyped-def]
    deployment = live.prepare(session, studio.ctx, studio.model.id)
    session.commit()
    # Another kind's bundle (never built: its job is cancelled while queued) serves no wasm files.
    firmware = service.start_build(session, studio.ctx, "generic-cortex-m4f", "c-library")
    jobs.cancel(session, studio.ctx, firmware.job_id)
    session.commit()
    assert finish_job(session, deployment.job_id) == "succeeded"
    viewer, stranger = make_user(session), make_user(session)
    add_member(session, studio.project, viewer, Role.viewer)
    session.commit()
    pid, did = studio.project.id, deployment.id
    client.sign_in(viewer.email, PASSWORD)
    loader = client.get(f"/api/projects/{pid}/deployments/{did}/wasm/classify.js")
    assert loader.status_code == 200 and loader.headers["content-type"].startswith("text/javascript")
    assert "export async function classify" in loader.text
    module = client.get(f"/api/projects/{pid}/deployments/{did}/wasm/classify.wasm")
    assert module.status_code == 200 and module.headers["content-type"] == "application/wasm"
    assert module.content[:4] == b"\0asm"
    # Only the two files of a verified wasm bundle: not the zip's other files, not another kind's bundle.
    assert client.get(f"/api/projects/{pid}/deployments/{did}/wasm/manifest.json").status_code == 404
    assert client.get(f"/api/projects/{pid}/deployments/{firmware.id}/wasm/classify.js").status_code == 404
    # The ready panel carries what the page's script needs: the URLs, the impulse's axes, the test samples.
    page = client.get(f"/projects/{pid}/deploy").text
    assert 'id="live" data-status="ready"' in page and 'id="live-panel"' in page
    assert f'data-loader-url="/api/projects/{pid}/deployments/{did}/wasm/classify.js"' in page
    axes = page.split('data-axes="')[1].split('"')[0].replace("&#34;", '"')
    assert json.loads(axes) == live.live_input(session, studio.ctx, studio.model).axes
    samples = live.samples(session, studio.ctx, studio.model)
    assert samples and all(f'<option value="{s.id}"' in page for s in samples)
    client.sign_in(stranger.email, PASSWORD)
    assert client.get(f"/api/projects/{pid}/deployments/{did}/wasm/classify.js").status_code == 404
