"""Anomaly (K-means) and regression models deploy end to end: trained by the studio's own jobs, built for
the generic Cortex-M4F (verified in QEMU and natively against the studio's classification), downloaded
and checked, their classify example printing what the studio's classify job reports."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.data import service as data
from backend.deploy import inputs, service
from backend.deploy.models import Deployment
from backend.jobs.models import Job
from backend.jobs.runner import run_job
from backend.projects import service as projects
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from backend.training import service as training
from backend.training.models import TrainedModel
from firmware.boards import BOARDS, get_board
from firmware.deploy.verify import verify_bundle
from tests.backend.training.factories import AXES, add_recording, save_impulse, write_csv
from tests.support.factories import PASSWORD, make_project, make_user
from tests.support.waiting import wait_for
from workers.learn.export import inspect_tflite

pytestmark = [pytest.mark.slow, pytest.mark.qemu]


@pytest.fixture
def ctx(session: Session) -> ProjectContext:
    owner = make_user(session)
    project = make_project(session, owner)
    session.commit()
    return projects.get_context(session, Principal(user=owner), project.id, Action.write)


def _finish(session: Session, job_id: int) -> None:
    """Run the job here; if a worker of this test process claimed it first (its message was sent on commit),
    wait for that worker instead. Either way the job must succeed."""
    status = run_job(job_id) or wait_for(session, job_id, timeout=600).status
    session.expire_all()
    assert status == "succeeded", session.get(Job, job_id).error


def _train(session: Session, ctx: ProjectContext) -> TrainedModel:
    job = training.start_training(session, ctx, {})
    session.commit()
    _finish(session, job.id)
    session.expire_all()
    model = session.scalar(select(TrainedModel).where(TrainedModel.job_id == job.id))
    assert model is not None
    return model


def _build(session: Session, ctx: ProjectContext, model: TrainedModel) -> Deployment:
    deployment = service.start_build(session, ctx, "generic-cortex-m4f", "c-library", model_id=model.id)
    session.commit()
    _finish(session, deployment.job_id)
    session.expire_all()
    ready = session.get(Deployment, deployment.id)
    assert ready is not None and ready.status == "ready"
    return ready


def _studio_classify(session: Session, ctx: ProjectContext, csv: Path, model: TrainedModel) -> dict:
    """What the studio's classify job (behind ``moteforge classify``) reports for the recording."""
    job = training.start_classify_upload(session, ctx, [csv.read_bytes()], csv.name, model_id=model.id)
    session.commit()
    _finish(session, job.id)
    session.expire_all()
    return dict(session.get(Job, job.id).result)


def _bundle_classify(session: Session, ctx: ProjectContext, ready: Deployment, csv: Path, work: Path) -> dict:
    """The downloaded bundle checked, built with its own Makefile, its classify example run on ``csv``."""
    path, _ = service.download(session, ctx, ready.id)
    assert verify_bundle(path, public_key=ready.manifest["signature"]["public_key"]).ok
    with zipfile.ZipFile(path) as archive:
        archive.extractall(work)
    subprocess.run(["make", "-s"], cwd=work, check=True, capture_output=True, timeout=300)
    done = subprocess.run(
        [str(work / "classify")], stdin=csv.open(), capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout)


def test_an_anomaly_model_deploys_verified_on_normal_and_anomalous_recordings(
    client, session: Session, ctx: ProjectContext, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Standing and walking are normal; running, only in the anomaly category, is not."""
    for k in range(3):
        for activity in ("standing", "walking"):
            add_recording(session, ctx, tmp_path, activity, 100 + k, "training")
    add_recording(session, ctx, tmp_path, "walking", 200, "testing")
    add_recording(session, ctx, tmp_path, "running", 300, "anomaly")
    save_impulse(session, ctx, learn_type="anomaly-kmeans", learn_params={"n_clusters": 3})
    session.commit()
    model = _train(session, ctx)
    assert model.int8_sha is None and model.anomaly["kind"] == "kmeans"

    # The deploy page offers it (it has no .tflite, its parameters are what deploys).
    client.sign_in(ctx.principal.user.email, PASSWORD)
    page = client.get(f"/projects/{ctx.project.id}/deploy").text
    assert f'<option value="{model.id}" selected>v{model.version} (anomaly-kmeans,' in page

    spec, impulse = inputs.impulse_spec(session, ctx, model)
    assert spec.learn_type == "anomaly-kmeans" and spec.anomaly == model.anomaly and spec.model == b""
    # Both categories are verified: a normal recording and a flagged one.
    samples = inputs.test_samples(impulse, spec, inputs.verification_rows(session, ctx, impulse))
    assert {s.expected["label"] for s in samples} == {"normal", "anomaly"}
    # The per-board table's plan bounds: the parameter tables and buffers, on every board.
    bounds = service.plan_bounds(spec)
    assert list(bounds) == list(BOARDS) and all(b["fits"] and b["ram_bytes"] > 0 for b in bounds.values())

    ready = _build(session, ctx, model)
    assert "impulse on cortex-m4 in QEMU: ok on 2 samples" in ready.verification_log
    assert ready.estimate["latency_ms"] > 0 and ready.manifest["model"]["sha256"] == spec.model_sha256

    csv = tmp_path / "running.300.csv"  # the anomalous recording, as add_recording wrote it
    got = _bundle_classify(session, ctx, ready, csv, tmp_path / "bundle")
    want = _studio_classify(session, ctx, csv, model)
    # The studio's anomaly shape: the label against the threshold, the mean score, each window's.
    assert got["label"] == want["label"] == "anomaly"
    assert got["score"] == pytest.approx(want["score"], rel=1e-3)
    assert got["threshold"] == pytest.approx(want["threshold"], abs=1e-5)
    assert set(got["scores"]) == set(want["scores"]) == {"anomaly score"}
    assert [w["label"] for w in got["windows"]] == [w["label"] for w in want["windows"]]
    assert [set(w) for w in got["windows"]] == [set(w) for w in want["windows"]]


def sine_values(amplitude: float, seed: int, frames: int = 60) -> np.ndarray:
    """A recording ``[frames, 6]`` at 10 Hz: a 1 Hz sine of ``amplitude`` on every axis, own phase and
    noise (the flatten block's statistics carry the amplitude almost linearly)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 10.0
    phase = rng.uniform(0, 2 * np.pi)
    columns = [amplitude * np.sin(2 * np.pi * t + phase + axis) for axis in range(len(AXES))]
    return (np.stack(columns, axis=1) + rng.normal(0, 0.05, (frames, len(AXES)))).astype(np.float32)


def test_a_regression_model_deploys_and_its_classify_prints_the_studios_value(
    session: Session, ctx: ProjectContext, tmp_path: Path
) -> None:
    for i, amplitude in enumerate(np.linspace(0.5, 5.0, 8)):
        path = write_csv(tmp_path / f"train.{i}.csv", sine_values(float(amplitude), i))
        data.ingest_file(session, ctx, path, path.name, label=f"{amplitude:g}", category="training")
    for i, amplitude in enumerate((1.2, 3.7)):
        path = write_csv(tmp_path / f"test.{i}.csv", sine_values(amplitude, 500 + i))
        data.ingest_file(session, ctx, path, path.name, label=f"{amplitude:g}", category="testing")
    learn = {"epochs": 10, "learning_rate": 0.01, "architecture": "dense"}
    save_impulse(session, ctx, learn_type="regression", learn_params=learn)
    session.commit()
    model = _train(session, ctx)

    spec, _ = inputs.impulse_spec(session, ctx, model)
    assert spec.learn_type == "regression" and spec.class_names == ()
    # The per-board table: every board has a plan bound, and the boards are measured like a classifier's.
    bounds = service.plan_bounds(spec)
    assert list(bounds) == list(BOARDS) and all(b["fits"] for b in bounds.values())
    nano = service.measure_board(spec, get_board("arduino-nano-33-ble-sense"))
    assert "error" not in nano and nano["measured_on"] == "cortex-m4" and nano["instructions"] > 0

    ready = _build(session, ctx, model)
    assert "impulse on cortex-m4 in QEMU: ok on 2 samples" in ready.verification_log

    csv = write_csv(tmp_path / "quiet.csv", sine_values(2.4, 999))
    got = _bundle_classify(session, ctx, ready, csv, tmp_path / "bundle")
    want = _studio_classify(session, ctx, csv, model)
    # The shape `moteforge classify --json` shows for a regression: the mean value and each window's.
    assert set(got) == {"value", "windows"} and want["task"] == "regression"
    assert [w["index"] for w in got["windows"]] == [w["index"] for w in want["windows"]]
    # Within one int8 output step (a feature on the other side of a rounding boundary), as verified.
    step = float(inspect_tflite(spec.model).output_quantization[0]) + 1e-5
    assert got["value"] == pytest.approx(want["value"], abs=step)
    assert [w["value"] for w in got["windows"]] == pytest.approx(
        [w["value"] for w in want["windows"]], abs=step
    )
