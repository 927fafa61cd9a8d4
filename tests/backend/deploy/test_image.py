"""Image impulses deploy: the spec and test frames come from the studio's rows, and a briefly trained digit
classifier becomes a verified Cortex-M4F bundle on a real worker."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.deploy import inputs, service
from backend.deploy.models import Deployment
from backend.jobs.models import Job
from backend.projects import service as projects
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from backend.training import service as training
from backend.training.models import TrainedModel
from firmware.deploy.spec import ImageInput
from firmware.deploy.verify import verify_bundle
from firmware.testing.random_models import convert_int8
from tests.backend.deploy.image_factories import add_digit_images, save_image_impulse
from tests.support.factories import make_project, make_user
from tests.support.waiting import wait_for


def _owner_ctx(session: Session) -> ProjectContext:
    owner = make_user(session)
    project = make_project(session, owner)
    session.commit()
    return projects.get_context(session, Principal(user=owner), project.id, Action.write)


def _uploaded_cnn(session: Session, ctx: ProjectContext, size: int) -> TrainedModel:
    """An untrained int8 CNN taking the impulse's [size, size, 1] features, uploaded as the project's model."""
    import keras

    model = keras.Sequential(
        [
            keras.Input((size, size, 1), batch_size=1),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    uploaded = training.upload_model(
        session, ctx, convert_int8(model, (size, size, 1), seed=3, samples=8), "cnn-int8.tflite"
    )
    session.commit()
    return uploaded


def test_an_image_model_gives_an_image_spec_and_rgb888_frames_at_the_impulse_size(session: Session) -> None:
    ctx = _owner_ctx(session)
    add_digit_images(session, ctx, train_per_class=2, test_per_class=1, size=24)
    save_image_impulse(session, ctx, size=16)
    session.commit()
    model = _uploaded_cnn(session, ctx, 16)

    spec, impulse = inputs.impulse_spec(session, ctx, model)
    assert spec.input == ImageInput(width=16, height=16, color_depth="grayscale", resize_mode="squash")
    assert [b.type for b in spec.dsp] == ["image"]
    rows = inputs.verification_rows(session, ctx, impulse)
    assert sorted(r.label for r in rows) == ["one", "seven", "zero"]
    samples = inputs.test_samples(impulse, spec, rows)
    # The stored 24x24 images reach the bundle as the 16x16 RGB888 frames a camera driver would deliver.
    assert all(s.values.shape == (16, 16, 3) and s.values.dtype == np.uint8 for s in samples)
    assert all(set(s.expected) == {"label", "scores", "windows"} for s in samples)


def test_the_expected_result_of_an_image_at_the_impulse_size_is_what_classify_reports(
    session: Session,
) -> None:
    from backend.jobs.runner import run_job

    ctx = _owner_ctx(session)
    add_digit_images(session, ctx, train_per_class=2, test_per_class=1, size=16)
    save_image_impulse(session, ctx, size=16)
    session.commit()
    model = _uploaded_cnn(session, ctx, 16)
    spec, impulse = inputs.impulse_spec(session, ctx, model)
    rows = inputs.verification_rows(session, ctx, impulse)
    samples = inputs.test_samples(impulse, spec, rows)
    for row, sample in zip(rows, samples, strict=True):
        job = training.start_classify_sample(session, ctx, row.id, model.id)
        session.commit()
        assert run_job(job.id) == "succeeded"
        session.expire_all()
        result = session.get(Job, job.id).result
        assert (result["label"], result["scores"], result["windows"]) == (
            sample.expected["label"],
            sample.expected["scores"],
            sample.expected["windows"],
        )


@pytest.mark.slow
@pytest.mark.qemu
def test_a_briefly_trained_digit_classifier_deploys_a_verified_cortex_m4f_bundle(
    session: Session, celery_worker: object
) -> None:
    ctx = _owner_ctx(session)
    add_digit_images(session, ctx, train_per_class=20, test_per_class=2, size=20)
    save_image_impulse(session, ctx, size=16)
    session.commit()
    job = training.start_training(session, ctx, {"epochs": 3})
    session.commit()
    job = wait_for(session, job.id, timeout=300)
    assert job.status == "succeeded", job.error
    model = session.scalar(select(TrainedModel).where(TrainedModel.job_id == job.id))
    assert model is not None and model.int8_sha

    deployment = service.start_build(session, ctx, "generic-cortex-m4f", "c-library")
    session.commit()
    job = wait_for(session, deployment.job_id, timeout=300)
    session.expire_all()
    ready = session.get(Deployment, deployment.id)
    assert job.status == "succeeded" and ready.status == "ready", (job.error, ready.verification_log)
    log = ready.verification_log
    assert "classify example, native x86_64 (a PPM frame on stdin): ok on 6 samples" in log
    assert "impulse on cortex-m4 in QEMU: ok on 6 samples" in log
    assert ready.estimate["ram_bytes"] > 16 * 16 * 3 and ready.estimate["latency_ms"] > 0
    path, _ = service.download(session, ctx, ready.id)
    assert verify_bundle(path, public_key=ready.manifest["signature"]["public_key"]).ok
    with zipfile.ZipFile(path) as archive:
        header = archive.read("impulse/mf_impulse.h").decode()
        example = archive.read("examples/classify.c").decode()
    assert "#define MF_IMPULSE_IMAGE_WIDTH 16" in header and "MF_IMPULSE_IMAGE_CHANNELS 1" in header
    assert "binary PPM (P6" in example
