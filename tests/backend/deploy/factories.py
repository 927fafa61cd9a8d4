"""Factories for deployment tests: a project with motion recordings, a flatten impulse and an uploaded int8
classifier (calibrated, untrained: the bundle must reproduce the studio's answers, right or wrong)."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from backend.projects.service import ProjectContext
from backend.training import service as training
from backend.training.models import TrainedModel
from tests.backend.training.factories import add_motion_dataset, save_impulse


@functools.cache
def dense_int8(inputs: int, classes: int, units: tuple[int, ...] = (8,)) -> bytes:
    """A full-int8 .tflite of hidden Dense layers of ``units`` each; they set its size on the board."""
    from workers.learn.architecture import ModelOutput, build_model
    from workers.learn.export import export_tflite

    model = build_model(
        [{"type": "Dense", "units": u} for u in units], (inputs,), ModelOutput("classification", classes)
    )
    calibration = np.random.default_rng(0).uniform(-1, 1, (32, inputs)).astype(np.float32)
    return export_tflite(model, calibration).int8


def motion_project(
    session: Session, ctx: ProjectContext, directory: Path, *, test_per_class: int = 1
) -> TrainedModel:
    """Recordings (4 activities, 3 training and ``test_per_class`` testing each), a flatten impulse over
    2 s windows, and a ready int8 model with 8 hidden units uploaded as the project's model."""
    add_motion_dataset(session, ctx, directory, train_per_class=3, test_per_class=test_per_class)
    impulse = save_impulse(session, ctx)
    block = training.learn_block_of(impulse, None)
    inputs = math.prod(training.input_shape(impulse, block))
    data = dense_int8(inputs, len(impulse.labels))
    model = training.upload_model(session, ctx, data, "model-int8.tflite")
    session.commit()
    return model
