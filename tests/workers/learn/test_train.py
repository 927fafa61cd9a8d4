"""Training of the neural-network blocks on BasicMotions: accuracy, determinism, cancelling, weights, presets."""

from __future__ import annotations

import numpy as np
import pytest

from tests.workers.learn.factories import REFERENCE_SETTINGS, MotionData
from workers.learn.evaluate import classify_tflite, metrics, regression_metrics
from workers.learn.export import ExportedModels
from workers.learn.train import (
    TrainedClassifier,
    TrainingCancelled,
    TrainingDataError,
    TrainSettings,
    stratified_split,
    train_classifier,
    train_regression,
)


def test_float_and_int8_models_classify_the_test_split_alike(
    motions: MotionData, reference_classifier: TrainedClassifier, reference_export: ExportedModels
) -> None:
    float_scores = classify_tflite(reference_export.float32, motions.test)
    int8_scores = classify_tflite(reference_export.int8, motions.test)
    float_accuracy = metrics(motions.y_test, float_scores, motions.class_names)["accuracy"]
    int8_accuracy = metrics(motions.y_test, int8_scores, motions.class_names)["accuracy"]
    assert float_accuracy >= 0.9
    assert abs(float_accuracy - int8_accuracy) <= 0.005
    # The float .tflite computes what Keras computes.
    keras_scores = reference_classifier.predict(motions.test)
    np.testing.assert_allclose(float_scores, keras_scores, atol=1e-5)


def test_history_has_one_entry_per_epoch_with_validation(reference_classifier: TrainedClassifier) -> None:
    history = reference_classifier.history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == REFERENCE_SETTINGS.epochs for values in history.values())
    assert history["loss"][-1] < history["loss"][0]


def test_validation_split_is_stratified_and_reported(
    motions: MotionData, reference_classifier: TrainedClassifier
) -> None:
    val = reference_classifier.validation_indices
    # 10 samples per class, 20 % of each: 2 per class.
    assert np.bincount(motions.y_train[val]).tolist() == [2, 2, 2, 2]
    assert not set(val) & set(reference_classifier.train_indices)
    assert reference_classifier.validation_scores.shape == (8, 4)


def test_stratified_split_is_deterministic_per_seed() -> None:
    y = np.repeat(np.arange(3), 10)
    first, second = stratified_split(y, 0.3, seed=5), stratified_split(y, 0.3, seed=5)
    other = stratified_split(y, 0.3, seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[1], other[1])


@pytest.mark.slow
def test_same_seed_trains_identical_weights(
    motions: MotionData, reference_classifier: TrainedClassifier
) -> None:
    again = train_classifier(motions.train, motions.y_train, motions.class_names, REFERENCE_SETTINGS)
    for a, b in zip(reference_classifier.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.history == reference_classifier.history


def test_different_seed_trains_different_weights(motions: MotionData) -> None:
    settings = TrainSettings(epochs=2, batch_size=8)
    a = train_classifier(motions.train, motions.y_train, motions.class_names, settings)
    b = train_classifier(
        motions.train, motions.y_train, motions.class_names, TrainSettings(epochs=2, batch_size=8, seed=2)
    )
    assert not np.array_equal(a.model.get_weights()[0], b.model.get_weights()[0])


def test_should_stop_cancels_within_the_first_epoch(motions: MotionData) -> None:
    polls: list[int] = []
    epochs: list[int] = []

    def should_stop() -> bool:
        polls.append(1)
        # The first poll is before training; stop at the second batch.
        return len(polls) >= 3

    with pytest.raises(TrainingCancelled):
        train_classifier(
            motions.train,
            motions.y_train,
            motions.class_names,
            TrainSettings(epochs=5, batch_size=8),
            on_epoch=lambda epoch, logs: epochs.append(epoch),
            should_stop=should_stop,
        )
    assert epochs == []
    assert len(polls) == 3


def test_on_epoch_reports_each_epoch_with_metrics(motions: MotionData) -> None:
    seen: list[tuple[int, dict[str, float]]] = []
    train_classifier(
        motions.train,
        motions.y_train,
        motions.class_names,
        TrainSettings(epochs=3, batch_size=16),
        on_epoch=lambda epoch, logs: seen.append((epoch, logs)),
    )
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(seen[-1][1])


@pytest.mark.slow
def test_balanced_class_weights_predict_the_minority_class_more_often() -> None:
    # Two overlapping 1-D classes, 180 samples of N(0, 1) against 20 of N(1.5, 1): unweighted, the
    # decision boundary moves towards the minority class; balanced weights pull it back.
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 180), rng.normal(1.5, 1, 20)]).astype(np.float32)[:, None]
    y = np.repeat([0, 1], [180, 20])
    grid = np.linspace(-3, 4.5, 200, dtype=np.float32)[:, None]
    shares = {}
    for weights in ("none", "balanced"):
        settings = TrainSettings(epochs=30, batch_size=32, learning_rate=0.01, class_weights=weights)
        trained = train_classifier(X, y, ["normal", "rare"], settings)
        shares[weights] = float((trained.predict(grid).argmax(axis=1) == 1).mean())
    assert shares["balanced"] > shares["none"] + 0.05


@pytest.mark.parametrize(
    ("architecture", "features", "channels"),
    [("dense", "train", 1), ("conv1d", "raw_train", 6), ("conv2d", "raw_train", 6)],
)
def test_each_preset_builds_and_trains_one_epoch(
    motions: MotionData, architecture: str, features: str, channels: int
) -> None:
    X = getattr(motions, features)
    settings = TrainSettings(epochs=1, batch_size=8, architecture=architecture, channels=channels)
    trained = train_classifier(X, motions.y_train, motions.class_names, settings)
    assert len(trained.history["loss"]) == 1
    scores = trained.predict(X[:3])
    assert scores.shape == (3, 4)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)


def test_augmented_training_is_deterministic(motions: MotionData) -> None:
    settings = TrainSettings(
        epochs=2, batch_size=8, architecture="conv1d", channels=6, augmentation=("noise", "time_shift")
    )
    a = train_classifier(motions.raw_train, motions.y_train, motions.class_names, settings)
    b = train_classifier(motions.raw_train, motions.y_train, motions.class_names, settings)
    assert a.history == b.history


def test_image_augmentation_on_flat_features_without_a_layout_is_refused(motions: MotionData) -> None:
    with pytest.raises(TrainingDataError, match="flip"):
        train_classifier(
            motions.train,
            motions.y_train,
            motions.class_names,
            TrainSettings(epochs=1, augmentation=("flip",)),
        )


def test_layers_that_do_not_fit_the_features_are_refused_as_a_data_error(motions: MotionData) -> None:
    settings = TrainSettings(epochs=1, architecture="custom", layers=({"type": "Conv1D", "filters": 4},))
    with pytest.raises(TrainingDataError, match=r"do not fit features of shape \[24\].*add a Reshape first"):
        train_classifier(motions.train, motions.y_train, motions.class_names, settings)


def test_class_with_too_few_samples_is_refused_before_training(motions: MotionData) -> None:
    keep = np.concatenate([np.flatnonzero(motions.y_train != 2), np.flatnonzero(motions.y_train == 2)[:2]])
    polls: list[int] = []
    with pytest.raises(
        TrainingDataError, match=f"class '{motions.class_names[2]}' has 2 samples; at least 3"
    ):
        train_classifier(
            motions.train[keep],
            motions.y_train[keep],
            motions.class_names,
            TrainSettings(epochs=1),
            should_stop=lambda: bool(polls.append(1)),
        )
    assert polls == []


def test_class_without_samples_is_refused(motions: MotionData) -> None:
    with pytest.raises(TrainingDataError, match="class 'extra' has 0 samples"):
        train_classifier(
            motions.train, motions.y_train, [*motions.class_names, "extra"], TrainSettings(epochs=1)
        )


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((10, 3, 2), np.float32), np.zeros(10, int), "2-D array"),
        (np.zeros((10, 3), np.float32), np.zeros(9, int), "10 feature rows but 9 labels"),
        (np.full((10, 3), np.nan, np.float32), np.zeros(10, int), "sample 0 has a NaN"),
        (np.zeros((10, 3), np.float32), np.zeros(10, float), "integer"),
    ],
)
def test_malformed_data_is_refused(X: np.ndarray, y: np.ndarray, message: str) -> None:
    with pytest.raises(TrainingDataError, match=message):
        train_classifier(X, y, ["a", "b"], TrainSettings(epochs=1))


@pytest.mark.slow
def test_regression_learns_a_linear_target(motions: MotionData) -> None:
    # Target: a fixed linear mix of the features, which a dense network fits closely.
    target = motions.train @ np.linspace(-1, 1, motions.train.shape[1]).astype(np.float32)
    settings = TrainSettings(epochs=60, batch_size=8, learning_rate=0.01)
    trained = train_regression(motions.train, target, settings)
    assert set(trained.history) == {"loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"}
    fitted = regression_metrics(
        target[trained.train_indices], trained.predict(motions.train[trained.train_indices])
    )
    assert fitted["r2"] > 0.9


def test_regression_with_too_few_samples_is_refused() -> None:
    with pytest.raises(TrainingDataError, match="too few"):
        train_regression(np.zeros((2, 3), np.float32), np.zeros(2), TrainSettings(epochs=1))
