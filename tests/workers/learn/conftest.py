"""Fixtures for the learning-block tests: BasicMotions features, and one trained, exported classifier."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from tests.workers.learn.factories import REFERENCE_SETTINGS, MotionData, make_motion_data
from workers.learn.export import ExportedModels, export_tflite
from workers.learn.train import TrainedClassifier, train_classifier


@pytest.fixture(scope="session")
def motions() -> MotionData:
    return make_motion_data()


@pytest.fixture(scope="session")
def reference_classifier(motions: MotionData) -> TrainedClassifier:
    return train_classifier(motions.train, motions.y_train, motions.class_names, REFERENCE_SETTINGS)


@pytest.fixture(scope="session")
def reference_export(reference_classifier: TrainedClassifier, motions: MotionData) -> ExportedModels:
    return export_tflite(reference_classifier.model, motions.train)
