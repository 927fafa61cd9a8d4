"""Jobs end to end with a real Celery worker: run, progress and logs, failure, cancel, a killed worker."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from backend.core.db import session_scope
from backend.jobs.models import Job
from tests.support.factories import make_api_key, make_project

pytestmark = pytest.mark.slow


def _project_key(session) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    project = make_project(session)
    key = make_api_key(session, project)
    session.commit()
    return project.id, {"x-api-key": key}


def _wait(anon_http, pid: int, job_id: int, until: set[str], timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = anon_http.get(f"/api/projects/{pid}/jobs/{job_id}", headers=HEADERS).json()
        if job["status"] in until:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not reach {until}: {job}")


HEADERS: dict = {}


@pytest.fixture
def project(session, celery_worker):  # type: ignore[no-untyped-def]
    pid, headers = _project_key(session)
    HEADERS.clear()
    HEADERS.update(headers)
    return pid


def test_project_statistics_job_runs_on_the_worker_and_reports_its_result(anon_http, project) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    job = anon_http.post(
        f"/api/projects/{project}/jobs", json={"type": "project-stats"}, headers=HEADERS
    ).json()
    assert job["status"] == "queued"
    done = _wait(anon_http, project, job["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    assert done["result"]["members"] == 1
    assert done["progress"] == 100
    lines = [line["line"] for line in done["logs"]]
    assert lines[0].startswith("Queued project-stats") and lines[-1].startswith("Succeeded")
    assert time.perf_counter() - started < 10


def test_progress_and_log_are_visible_while_the_job_runs(anon_http, project) -> None:  # type: ignore[no-untyped-def]
    job = anon_http.post(
        f"/api/projects/{project}/jobs",
        json={"type": "test-sleep", "params": {"seconds": 2}},
        headers=HEADERS,
    ).json()
    running = _wait(anon_http, project, job["id"], {"running"})
    seen = set()
    while running["status"] == "running":
        seen.add(round(running["progress"]))
        time.sleep(0.1)
        running = anon_http.get(f"/api/projects/{project}/jobs/{job['id']}", headers=HEADERS).json()
    assert running["status"] == "succeeded"
    assert len(seen) >= 3, seen


def test_a_handler_failure_is_recorded_with_its_reason(anon_http, project) -> None:  # type: ignore[no-untyped-def]
    job = anon_http.post(f"/api/projects/{project}/jobs", json={"type": "test-fail"}, headers=HEADERS).json()
    done = _wait(anon_http, project, job["id"], {"failed", "succeeded"})
    assert done["status"] == "failed"
    assert done["error"] == "the input was not acceptable"


def test_cancel_stops_a_running_job(anon_http, project) -> None:  # type: ignore[no-untyped-def]
    job = anon_http.post(
        f"/api/projects/{project}/jobs",
        json={"type": "test-sleep", "params": {"seconds": 20}},
        headers=HEADERS,
    ).json()
    _wait(anon_http, project, job["id"], {"running"})
    resp = anon_http.post(f"/api/projects/{project}/jobs/{job['id']}/cancel", headers=HEADERS)
    assert resp.json()["cancel_requested"] is True
    done = _wait(anon_http, project, job["id"], {"cancelled", "succeeded"}, timeout=10)
    assert done["status"] == "cancelled"
    assert done["progress"] < 50


def test_unknown_job_type_is_refused_before_anything_is_queued(anon_http, project) -> None:  # type: ignore[no-untyped-def]
    resp = anon_http.post(f"/api/projects/{project}/jobs", json={"type": "mine-bitcoin"}, headers=HEADERS)
    assert resp.status_code == 422
    assert "Unknown job type" in resp.json()["error"]["message"]
    assert anon_http.get(f"/api/projects/{project}/jobs", headers=HEADERS).json()["count"] == 0


def test_a_job_whose_worker_is_killed_is_retried_and_never_left_running(
    anon_http, project, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    from backend.jobs.service import reap_stale

    job = anon_http.post(
        f"/api/projects/{project}/jobs",
        json={"type": "test-sleep", "params": {"seconds": 3}},
        headers=HEADERS,
    ).json()
    first = _wait(anon_http, project, job["id"], {"running"})
    assert first["attempts"] == 1
    killed = celery_worker.kill_children()  # SIGKILL the process running the job
    assert killed
    # The heartbeat stops; after the timeout the reaper (web app lifespan, or here directly) re-queues it.
    deadline = time.time() + 30
    while time.time() < deadline:
        with session_scope() as s:
            reap_stale(s)
            status = s.scalar(select(Job.status).where(Job.id == job["id"]))
        if status != "running":
            break
        time.sleep(0.5)
    done = _wait(anon_http, project, job["id"], {"succeeded", "failed"}, timeout=40)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert any("Worker lost" in line["line"] for line in done["logs"])
