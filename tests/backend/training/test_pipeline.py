"""The computations behind the jobs: training with export and evaluation, test results, sample summaries."""

from __future__ import annotations

import numpy as np
import pytest

from backend.training import pipeline, settings
from workers.learn.train import TrainingCancelled

CLASSES = ["a", "b", "c"]


def blobs(per_class: int = 30, features: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated Gaussian clusters: centres 3 apart on different features, unit noise/4."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(len(CLASSES)):
        centre = np.zeros(features)
        centre[k * 2 : k * 2 + 2] = 3.0
        X.append(centre + rng.normal(0, 0.25, (per_class, features)))
        y += [k] * per_class
    return np.concatenate(X).astype(np.float32), np.array(y)


@pytest.mark.slow
def test_training_exports_both_models_and_measures_them_on_the_validation_split() -> None:
    X, y = blobs()
    resolved = settings.resolve("classifier", {}, {"epochs": 15, "learning_rate": 0.02}, (12,))
    epochs: list[int] = []
    outcome = pipeline.train_classifier(
        X, y, CLASSES, resolved.params, resolved.input_shape, on_epoch=lambda e, logs: epochs.append(e)
    )
    assert epochs == list(range(15))
    assert outcome.float32[4:8] == b"TFL3" and outcome.int8[4:8] == b"TFL3"
    assert outcome.keras[:2] == b"PK"  # a .keras file is a zip archive
    assert outcome.metrics["samples"] == 18  # a fifth of 30 per class
    for kind in ("float32", "int8"):
        m = outcome.metrics[kind]
        assert m["accuracy"] == 1.0
        assert sum(map(sum, m["confusion_matrix"])) == 18
        assert set(m["per_class"]) == set(CLASSES)
    assert len(outcome.history["loss"]) == 15 and len(outcome.history["val_accuracy"]) == 15
    scale, zero_point = outcome.input_quantization
    assert scale > 0 and -128 <= zero_point <= 127


def test_training_stops_when_asked_and_returns_no_model() -> None:
    X, y = blobs(per_class=10)
    resolved = settings.resolve("classifier", {}, {"epochs": 50}, (12,))
    seen: list[int] = []
    with pytest.raises(TrainingCancelled):
        pipeline.train_classifier(
            X,
            y,
            CLASSES,
            resolved.params,
            resolved.input_shape,
            on_epoch=lambda e, logs: seen.append(e),
            should_stop=lambda: len(seen) >= 2,
        )
    assert len(seen) == 2


def test_a_sample_takes_the_class_with_the_highest_mean_window_score() -> None:
    scores = np.array([[0.6, 0.4, 0.0], [0.0, 0.3, 0.7], [0.1, 0.2, 0.7]], dtype=np.float32)
    result = pipeline.summarize_sample(scores, CLASSES)
    # Windows vote a, c, c; the means are 0.233, 0.3, 0.467.
    assert result["label"] == "c"
    assert result["scores"]["b"] == pytest.approx(0.3, abs=1e-5)
    assert [w["label"] for w in result["windows"]] == ["a", "c", "c"]


def test_test_results_count_windows_and_give_one_row_per_sample() -> None:
    scores = np.array(
        [
            [0.9, 0.1, 0.0],  # sample 7, label a: right
            [0.2, 0.8, 0.0],  # sample 7, label a: wrong
            [0.7, 0.3, 0.0],  # sample 7, label a: right
            [0.0, 0.1, 0.9],  # sample 9, label c: right
            [0.5, 0.5, 0.0],  # sample 11, label z unknown to the model
        ],
        dtype=np.float32,
    )
    labels = ["a", "a", "a", "c", "z"]
    metrics, rows = pipeline.test_results(scores, labels, [7, 7, 7, 9, 11], CLASSES, {7: "walk.7"})
    assert metrics["windows"] == 4 and metrics["unknown_label_windows"] == 1
    assert metrics["accuracy"] == pytest.approx(0.75)
    assert metrics["confusion_matrix"][0] == [2, 1, 0]
    assert [r["sample_id"] for r in rows] == [7, 9, 11]
    assert rows[0] == {
        "sample_id": 7,
        "sample_name": "walk.7",
        "label": "a",
        "predicted": "a",
        "windows": 3,
        "windows_correct": 2,
        "scores": {"a": 0.6, "b": 0.4, "c": 0.0},
    }
    assert rows[2]["label"] == "z" and rows[2]["windows_correct"] == 0
    assert metrics["samples"] == 3 and metrics["samples_correct"] == 2


def test_stored_anomaly_parameters_score_like_the_fitted_model() -> None:
    X, _ = blobs(per_class=20)
    for block_type, params in (
        ("anomaly-kmeans", {"n_clusters": 3, "seed": 1}),
        ("anomaly-gmm", {"n_components": 3, "covariance": "diag", "seed": 1}),
    ):
        outcome = pipeline.fit_anomaly(X, block_type, params)
        scores = pipeline.anomaly_scores(outcome.params, X)
        assert outcome.metrics["threshold"] == pytest.approx(float(np.quantile(scores, 0.99)), rel=1e-6)
        assert outcome.metrics["above_threshold"] == int((scores > outcome.metrics["threshold"]).sum())
        # A point far from every cluster scores above the threshold.
        far = pipeline.anomaly_scores(outcome.params, np.full((1, 12), 20.0))
        assert far[0] > outcome.metrics["threshold"]


def test_anomaly_test_results_compare_normal_and_anomaly_windows() -> None:
    scores = np.array([0.5, 0.8, 2.0, 3.0, 0.9])
    expected = np.array([False, False, False, True, True])
    metrics, rows = pipeline.anomaly_test_results(scores, expected, [1, 1, 2, 3, 3], 1.0)
    # Window 2 (normal, score 2.0) and window 4 (anomalous, 0.9) are wrong.
    assert metrics["confusion_matrix"] == [[2, 1], [1, 1]]
    assert metrics["accuracy"] == pytest.approx(0.6) and metrics["loss"] is None
    assert [(r["sample_id"], r["label"], r["predicted"]) for r in rows] == [
        (1, "normal", "normal"),
        (2, "normal", "anomaly"),
        (3, "anomaly", "anomaly"),
    ]
    assert rows[2]["scores"] == {"anomaly score": 1.95}
