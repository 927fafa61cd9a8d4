"""The train, test-model and classify jobs end to end, on a real Celery worker and database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store
from backend.core.db import utcnow
from backend.data.models import Sample
from backend.jobs import service as jobs
from backend.jobs.models import Job
from backend.training import service
from backend.training.models import ModelStatus, ModelTest, TrainedModel
from tests.backend.training.conftest import Studio
from tests.backend.training.factories import add_recording, motion_values, save_impulse, write_csv
from tests.support.waiting import log_lines, wait_for, wait_for_log

pytestmark = pytest.mark.slow


def train(session: Session, studio: Studio, **settings: object) -> tuple[Job, TrainedModel]:
    job = service.start_training(session, studio.ctx, {"epochs": 20, **settings})
    session.commit()
    job = wait_for(session, job.id)
    assert job.status == "succeeded", (job.error, log_lines(session, job.id)[-5:])
    model = session.scalar(select(TrainedModel).where(TrainedModel.job_id == job.id))
    assert model is not None
    return job, model


def test_training_stores_a_ready_model_with_both_artefacts_and_validation_metrics(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    job, model = train(session, motions)
    assert (model.status, model.source, model.version) == (ModelStatus.ready, "trained", 1)
    assert model.class_names == ["badminton", "running", "standing", "walking"]
    store = get_blob_store()
    for kind in ("float32", "int8", "keras"):
        sha = getattr(model, f"{kind}_sha")
        assert store.exists(sha) and model.sizes[kind] == len(store.read_bytes(sha))
    assert store.read_bytes(model.int8_sha)[4:8] == b"TFL3"
    # 24 recordings give 9 windows each; a fifth of each class's 54 windows is held out.
    assert model.metrics["samples"] == 44
    assert model.metrics["float32"]["accuracy"] >= 0.9
    assert abs(model.metrics["float32"]["accuracy"] - model.metrics["int8"]["accuracy"]) <= 0.05
    assert len(model.history["loss"]) == 20
    lines = log_lines(session, job.id)
    assert sum(line.startswith("Epoch ") for line in lines) == 20
    assert any(line.startswith("Epoch 20/20: loss") and "val accuracy" in line for line in lines)
    assert job.result["model_id"] == model.id and "int8_accuracy" in job.result


def test_cancelling_mid_training_stops_it_and_stores_no_artefacts(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    job = service.start_training(session, motions.ctx, {"epochs": 1000})
    session.commit()
    wait_for_log(session, job.id, lambda lines: any(line.startswith("Epoch 3/") for line in lines))
    session.expire_all()  # the session keeps objects across commits; cancel must see the job running
    jobs.cancel(session, motions.ctx, job.id)
    session.commit()
    job = wait_for(session, job.id, timeout=60)
    assert job.status == "cancelled"
    model = session.scalar(select(TrainedModel).where(TrainedModel.job_id == job.id))
    assert model.status == ModelStatus.cancelled
    assert model.int8_sha is None and model.float32_sha is None
    assert len(model.history["loss"]) < 1000


def test_a_training_retried_after_its_worker_died_reuses_its_model_row(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    job = service.start_training(session, motions.ctx, {"epochs": 300})
    session.commit()
    wait_for_log(
        session, job.id, lambda lines: any(line.startswith("Epoch 2/") for line in lines), interval=0.1
    )
    celery_worker.kill_children()  # type: ignore[attr-defined]
    # What the reaper does once the heartbeat is stale: requeue the job for a second attempt.
    session.expire_all()
    row = session.get(Job, job.id)
    row.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.commit()
    assert jobs.reap_stale(session) == [job.id]
    session.commit()
    # The second attempt trains the same settings again; cancel it once it is under way.
    wait_for_log(session, job.id, lambda lines: sum(line.startswith("Epoch 1/") for line in lines) >= 2)
    rows = session.scalars(select(TrainedModel).where(TrainedModel.project_id == motions.project.id)).all()
    assert len(rows) == 1 and rows[0].version == 1
    # The dead attempt's curves were forgotten when the retry started.
    session.refresh(rows[0])
    assert len(rows[0].history.get("loss", [])) < 10
    session.expire_all()  # the session keeps objects across commits; cancel must see the job running
    jobs.cancel(session, motions.ctx, job.id)
    session.commit()
    assert wait_for(session, job.id).status == "cancelled"


def test_a_finished_training_delivered_again_returns_the_stored_model(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    job, model = train(session, motions)
    from backend.jobs.runner import JobContext
    from backend.training.tasks import train as train_handler

    again = train_handler(JobContext(job.id, job.project_id, job.params, job.created_by_id))
    assert again["model_id"] == model.id
    count = session.scalars(select(TrainedModel).where(TrainedModel.project_id == motions.project.id)).all()
    assert len(count) == 1


def test_model_testing_classifies_every_test_window_with_the_int8_model(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    _, model = train(session, motions)
    job = service.start_test(session, motions.ctx)
    session.commit()
    job = wait_for(session, job.id)
    assert job.status == "succeeded", job.error
    test = session.scalar(select(ModelTest).where(ModelTest.job_id == job.id))
    assert test.model_id == model.id and test.metrics["dtype"] == "int8"
    assert test.metrics["windows"] == 8 * 9
    assert test.accuracy >= 0.9
    testing = session.scalars(
        select(Sample).where(Sample.project_id == motions.project.id, Sample.category == "testing")
    ).all()
    assert sorted(r["sample_id"] for r in test.rows) == sorted(s.id for s in testing)
    by_id = {s.id: s for s in testing}
    assert all(r["label"] == by_id[r["sample_id"]].label and r["windows"] == 9 for r in test.rows)
    assert all(r["sample_name"] == by_id[r["sample_id"]].name for r in test.rows)


def test_classifying_a_stored_sample_gives_each_window_and_the_overall_label(
    session: Session, motions: Studio, celery_worker: object
) -> None:
    train(session, motions)
    sample = session.scalar(
        select(Sample).where(Sample.project_id == motions.project.id, Sample.label == "running")
    )
    job = service.start_classify_sample(session, motions.ctx, sample.id)
    session.commit()
    job = wait_for(session, job.id)
    assert job.status == "succeeded", job.error
    assert job.result["label"] == "running"
    assert len(job.result["windows"]) == 9
    assert job.result["scores"]["running"] == max(job.result["scores"].values())


def test_classifying_an_uploaded_recording_reads_it_without_storing_a_sample(
    session: Session, motions: Studio, celery_worker: object, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    train(session, motions)
    before = len(session.scalars(select(Sample)).all())
    path = write_csv(tmp_path / "mystery.csv", motion_values("badminton", seed=77, frames=60))
    job = service.start_classify_upload(session, motions.ctx, [path.read_bytes()], "mystery.csv")
    session.commit()
    job = wait_for(session, job.id)
    assert job.status == "succeeded", job.error
    assert job.result["label"] == "badminton" and job.result["source"] == "mystery.csv"
    # 6 s at 10 Hz in 2 s windows every 1 s.
    assert len(job.result["windows"]) == 5
    assert len(session.scalars(select(Sample)).all()) == before


def test_an_anomaly_block_learns_normal_motion_and_flags_another(
    session: Session, studio: Studio, celery_worker: object, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Standing and walking are normal; running, only in the anomaly category, is not."""
    for k in range(5):
        for activity in ("standing", "walking"):
            add_recording(session, studio.ctx, tmp_path, activity, 100 + k, "training")
    for k in range(2):
        add_recording(session, studio.ctx, tmp_path, "walking", 200 + k, "testing")
        add_recording(session, studio.ctx, tmp_path, "running", 300 + k, "anomaly")
    save_impulse(session, studio.ctx, learn_type="anomaly-kmeans", learn_params={"n_clusters": 4})
    session.commit()

    job = service.start_training(session, studio.ctx, {})
    session.commit()
    assert wait_for(session, job.id).status == "succeeded"
    model = session.scalar(select(TrainedModel).where(TrainedModel.job_id == job.id))
    assert model.anomaly["kind"] == "kmeans" and len(model.anomaly["centroids"]) == 4
    assert model.metrics["windows"] == 90 and model.int8_sha is None

    test_job = service.start_test(session, studio.ctx)
    session.commit()
    test_job = wait_for(session, test_job.id)
    assert test_job.status == "succeeded", test_job.error
    test = session.scalar(select(ModelTest).where(ModelTest.job_id == test_job.id))
    assert test.metrics["dtype"] == "anomaly-kmeans" and test.metrics["windows"] == 36
    assert {(r["label"], r["predicted"]) for r in test.rows} == {("normal", "normal"), ("anomaly", "anomaly")}

    path = write_csv(tmp_path / "sprint.csv", motion_values("running", seed=999))
    job = service.start_classify_upload(session, studio.ctx, [path.read_bytes()], "sprint.csv")
    session.commit()
    job = wait_for(session, job.id)
    assert job.status == "succeeded", job.error
    assert job.result["label"] == "anomaly" and job.result["score"] > job.result["threshold"]
