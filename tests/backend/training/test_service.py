"""Service checks that happen before a job exists: the impulse, the data and the settings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.core.errors import InvalidInput
from backend.jobs.models import Job
from backend.training import service
from tests.backend.training.conftest import Studio
from tests.backend.training.factories import save_impulse


def _jobs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Job)) or 0


def test_training_without_an_impulse_is_refused_before_any_job(session: Session, studio: Studio) -> None:
    with pytest.raises(InvalidInput, match="Design an impulse first"):
        service.start_training(session, studio.ctx, {})
    assert _jobs(session) == 0


def test_training_without_training_data_is_refused_with_the_reason(session: Session, studio: Studio) -> None:
    save_impulse(session, studio.ctx)
    with pytest.raises(InvalidInput, match="no enabled training samples"):
        service.start_training(session, studio.ctx, {})
    assert _jobs(session) == 0


def test_settings_out_of_range_are_refused_before_any_job(session: Session, motions: Studio) -> None:
    with pytest.raises(InvalidInput) as exc:
        service.start_training(session, motions.ctx, {"learning_rate": 5.0})
    assert exc.value.field == "learning_rate"
    assert _jobs(session) == 0


def test_a_layer_stack_that_does_not_fit_the_features_is_refused(session: Session, motions: Studio) -> None:
    layers = [{"type": "Conv1D", "filters": 8}]
    with pytest.raises(InvalidInput) as exc:
        service.start_training(session, motions.ctx, {"architecture": "custom", "layers": layers})
    assert exc.value.field == "layers"
    assert "needs a [frames, channels] input" in exc.value.message


def test_start_training_queues_a_job_with_the_checked_settings(session: Session, motions: Studio) -> None:
    job = service.start_training(session, motions.ctx, {"epochs": 7})
    assert job.type == "train"
    assert job.params["impulse_id"] == motions.impulse.id
    assert job.params["learn_block_id"] == "learn1"
    assert job.params["settings"]["epochs"] == 7
    assert job.params["settings"]["learning_rate"] == 0.01  # from the impulse's block
    # flatten: 7 statistics for each of the 6 axes.
    assert job.params["input_shape"] == [42]


def test_testing_before_any_model_is_refused(session: Session, motions: Studio) -> None:
    with pytest.raises(InvalidInput, match="Train a model"):
        service.start_test(session, motions.ctx)


def test_estimates_are_empty_until_the_deploy_step_provides_them(session: Session, motions: Studio) -> None:
    assert service.estimates(service.TrainedModel()) == {}
