"""What the training, testing and classification jobs compute, as functions over arrays and model bytes.

No database and no Celery here, so the jobs stay a few lines each and this part is tested on its own.
TensorFlow is imported inside the functions: the web process imports this module too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TrainingOutcome:
    """A trained classifier in its three forms, with its validation metrics and per-epoch history."""

    float32: bytes
    int8: bytes
    keras: bytes
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    input_quantization: list[float]
    output_quantization: list[float]
    train_seconds: float


def train_classifier(
    X: np.ndarray,
    y: np.ndarray,
    class_names: Sequence[str],
    params: Mapping[str, Any],
    input_shape: Sequence[int],
    *,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Train, export float32 and int8 .tflite, and evaluate both on the validation split.

    ``params`` are a classifier block's validated parameters. The int8 model is calibrated on the
    training part only, so the validation figures stay honest.
    """
    from workers.learn.evaluate import classify_tflite, metrics
    from workers.learn.export import export_tflite
    from workers.learn.train import TrainSettings
    from workers.learn.train import train_classifier as fit

    settings = TrainSettings.from_params(params)
    if len(input_shape) > 1:
        settings = TrainSettings.from_params({**params, "feature_shape": tuple(input_shape)})
    trained = fit(X, y, class_names, settings, on_epoch=on_epoch, should_stop=should_stop)
    if on_stage:
        on_stage("Exporting float32 and int8 .tflite models")
    exported = export_tflite(trained.model, X[trained.train_indices])
    results: dict[str, Any] = {"split": "validation", "samples": len(trained.validation_indices)}
    if len(trained.validation_indices):
        if on_stage:
            on_stage(f"Evaluating both models on {len(trained.validation_indices)} validation windows")
        X_val, y_val = X[trained.validation_indices], y[trained.validation_indices]
        for kind, model_bytes in (("float32", exported.float32), ("int8", exported.int8)):
            results[kind] = metrics(y_val, classify_tflite(model_bytes, X_val), class_names)
    return _outcome(exported, trained, results)


def classify_windows(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    """Scores ``[windows, classes]`` of a classifier .tflite: int8 through TFLM, float32 through LiteRT."""
    from workers.learn.evaluate import classify_tflite

    if len(X) == 0:
        raise ValueError("no windows to classify")
    return classify_tflite(model_bytes, np.asarray(X, dtype=np.float32))


def summarize_sample(scores: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """A sample's overall result: the mean of its windows' scores, and each window's own result.

    Averaging (rather than voting) keeps a sample with split windows close to its most confident class.
    """
    mean = scores.mean(axis=0)
    return {
        "label": class_names[int(mean.argmax())],
        "scores": {name: round(float(mean[k]), 5) for k, name in enumerate(class_names)},
        "windows": [
            {
                "index": index,
                "label": class_names[int(row.argmax())],
                "scores": {name: round(float(row[k]), 5) for k, name in enumerate(class_names)},
            }
            for index, row in enumerate(scores)
        ],
    }


def test_results(
    scores: np.ndarray,
    labels: Sequence[str],
    sample_ids: Sequence[int],
    class_names: Sequence[str],
    sample_names: Mapping[int, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Window-level metrics over windows whose label the model knows, and one row per test sample.

    Windows labelled with a class the model was not trained on cannot be right or wrong; they are
    left out of the metrics and counted in ``unknown_label_windows``.
    """
    from workers.learn.evaluate import metrics

    index = {name: k for k, name in enumerate(class_names)}
    known = np.array([label in index for label in labels], dtype=bool)
    y = np.array([index.get(label, -1) for label in labels], dtype=np.int64)
    summary = metrics(y[known], scores[known], class_names)
    summary["windows"] = int(known.sum())
    summary["unknown_label_windows"] = int((~known).sum())
    rows: list[dict[str, Any]] = []
    order: dict[int, list[int]] = {}
    for row, sample_id in enumerate(sample_ids):
        order.setdefault(int(sample_id), []).append(row)
    for sample_id, members in order.items():
        sample_scores = scores[members]
        predicted_each = sample_scores.argmax(axis=1)
        overall = sample_scores.mean(axis=0)
        label = labels[members[0]]
        rows.append(
            {
                "sample_id": sample_id,
                "sample_name": (sample_names or {}).get(sample_id, str(sample_id)),
                "label": label,
                "predicted": class_names[int(overall.argmax())],
                "windows": len(members),
                "windows_correct": int(sum(1 for p in predicted_each if class_names[int(p)] == label)),
                "scores": {name: round(float(overall[k]), 4) for k, name in enumerate(class_names)},
            }
        )
    summary["samples"] = len(rows)
    summary["samples_correct"] = sum(1 for r in rows if r["label"] == r["predicted"])
    return summary, rows


# Anomaly detection ------------------------------------------------------------------------------------------

ANOMALY_CLASSES = ("normal", "anomaly")


@dataclass(frozen=True)
class AnomalyOutcome:
    """A fitted anomaly block: the parameters a device needs, and how its own training data scores."""

    params: dict[str, Any]
    metrics: dict[str, Any]
    train_seconds: float


def fit_anomaly(X: np.ndarray, block_type: str, params: Mapping[str, Any]) -> AnomalyOutcome:
    """Fit K-means or a Gaussian mixture to the (normal) training windows ``X``."""
    import time

    from workers.learn.blocks import LEARN_BLOCKS

    started = time.perf_counter()
    fitted = LEARN_BLOCKS[block_type].fit(np.asarray(X, dtype=np.float64), params)
    seconds = time.perf_counter() - started
    scores = fitted.score(X)
    metrics = {
        "split": "training",
        "windows": len(X),
        "threshold": float(fitted.threshold),
        "score_median": float(np.median(scores)),
        "score_max": float(scores.max()),
        "above_threshold": int((scores > fitted.threshold).sum()),
    }
    return AnomalyOutcome(fitted.to_json(), metrics, seconds)


def anomaly_scores(params: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
    """Scores ``[N]`` of windows under stored anomaly parameters (``to_json`` of the fitted block)."""
    from workers.learn.anomaly import GMMAnomaly, KMeansAnomaly

    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in params.items() if isinstance(v, list)}
    if params["kind"] == "kmeans":
        model: Any = KMeansAnomaly(
            arrays["mean"], arrays["scale"], arrays["centroids"], arrays["radii"], float(params["threshold"])
        )
    else:
        model = GMMAnomaly(
            arrays["mean"],
            arrays["scale"],
            arrays["weights"],
            arrays["means"],
            arrays["covariances"],
            params["covariance"],
            float(params["threshold"]),
        )
    return np.asarray(model.score(np.asarray(X, dtype=np.float64)), dtype=np.float64)


def summarize_anomaly(scores: np.ndarray, threshold: float) -> dict[str, Any]:
    """A recording's anomaly result: its mean window score against the threshold, and each window's."""
    mean = float(scores.mean())
    return {
        "label": ANOMALY_CLASSES[int(mean > threshold)],
        "score": round(mean, 5),
        "threshold": round(threshold, 5),
        "scores": {"anomaly score": round(mean, 5)},
        "windows": [
            {
                "index": index,
                "label": ANOMALY_CLASSES[int(score > threshold)],
                "scores": {"anomaly score": round(float(score), 5)},
            }
            for index, score in enumerate(scores)
        ],
    }


def anomaly_test_results(
    scores: np.ndarray,
    expected_anomalous: np.ndarray,
    sample_ids: Sequence[int],
    threshold: float,
    sample_names: Mapping[int, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics of normal (testing category) against anomalous (anomaly category) windows, and sample rows.

    A window is flagged when its score is above the threshold; the classes are "normal" and "anomaly".
    """
    from workers.learn.evaluate import metrics

    flagged = (scores > threshold).astype(np.int64)
    one_hot = np.eye(2)[flagged]
    summary = metrics(expected_anomalous.astype(np.int64), one_hot, ANOMALY_CLASSES)
    # Scores are distances, not probabilities: a cross-entropy would mean nothing.
    summary["loss"] = None
    summary.update(windows=len(scores), unknown_label_windows=0, threshold=threshold)
    rows: list[dict[str, Any]] = []
    members: dict[int, list[int]] = {}
    for row, sample_id in enumerate(sample_ids):
        members.setdefault(int(sample_id), []).append(row)
    for sample_id, picks in members.items():
        mean = float(scores[picks].mean())
        label = ANOMALY_CLASSES[int(expected_anomalous[picks[0]])]
        rows.append(
            {
                "sample_id": sample_id,
                "sample_name": (sample_names or {}).get(sample_id, str(sample_id)),
                "label": label,
                "predicted": ANOMALY_CLASSES[int(mean > threshold)],
                "windows": len(picks),
                "windows_correct": int(sum(ANOMALY_CLASSES[f] == label for f in flagged[picks])),
                "scores": {"anomaly score": round(mean, 4)},
            }
        )
    summary["samples"] = len(rows)
    summary["samples_correct"] = sum(1 for r in rows if r["label"] == r["predicted"])
    return summary, rows


# Regression -------------------------------------------------------------------------------------------------


def regression_targets(labels: Sequence[str]) -> np.ndarray:
    """Window targets ``[N]`` float32 from their labels (the studio's check refused non-numbers already)."""
    try:
        return np.array([float(label) for label in labels], dtype=np.float32)
    except ValueError as exc:
        raise ValueError(f"a regression label is not a number: {exc}") from exc


def predict_values(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    """Predicted values ``[windows]`` of a one-output regression .tflite.

    int8 runs through TFLM and its output is dequantized with the model's output scale and zero point
    (``run_tflite`` does that), so the figures are what a device computes.
    """
    from workers.learn.evaluate import run_tflite

    if len(X) == 0:
        raise ValueError("no windows to run")
    out = run_tflite(model_bytes, np.asarray(X, dtype=np.float32))
    if out.shape[1] != 1:
        raise ValueError(f"a regression model gives one value per window, this one gives {out.shape[1]}")
    return out[:, 0]


def _regression_summary(actual: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    from workers.learn.evaluate import regression_metrics

    m = regression_metrics(actual, predicted)
    return {"mae": m["mae"], "mse": m["mse"], "rmse": float(np.sqrt(m["mse"])), "r2": m["r2"]}


def _outcome(exported: Any, trained: Any, results: dict[str, Any]) -> TrainingOutcome:
    """The artefacts, history and quantization of a trained and exported model, with its metrics."""
    from workers.learn.export import inspect_tflite

    info = inspect_tflite(exported.int8)
    return TrainingOutcome(
        float32=exported.float32,
        int8=exported.int8,
        keras=exported.keras,
        metrics=results,
        history={k: [float(v) for v in values] for k, values in trained.history.items()},
        input_quantization=list(info.input_quantization),
        output_quantization=list(info.output_quantization),
        train_seconds=float(trained.train_seconds),
    )


def train_regression(
    X: np.ndarray,
    targets: np.ndarray,
    params: Mapping[str, Any],
    input_shape: Sequence[int],
    *,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Train a one-output regression, export float32 and int8, and evaluate both on the validation split.

    The metrics hold MAE, RMSE and R² per model kind, and the validation windows' actual values with
    each kind's predictions (the results page plots them against each other).
    """
    from workers.learn.export import export_tflite
    from workers.learn.train import TrainSettings
    from workers.learn.train import train_regression as fit

    settings = TrainSettings.from_params(params)
    if len(input_shape) > 1:
        settings = TrainSettings.from_params({**params, "feature_shape": tuple(input_shape)})
    trained = fit(X, targets, settings, on_epoch=on_epoch, should_stop=should_stop)
    if on_stage:
        on_stage("Exporting float32 and int8 .tflite models")
    # Calibrated on the training part only, as for classifiers, so validation stays unseen.
    exported = export_tflite(trained.model, X[trained.train_indices])
    results: dict[str, Any] = {
        "task": "regression",
        "split": "validation",
        "samples": len(trained.validation_indices),
    }
    if len(trained.validation_indices):
        if on_stage:
            on_stage(f"Evaluating both models on {len(trained.validation_indices)} validation windows")
        X_val, y_val = X[trained.validation_indices], targets[trained.validation_indices]
        results["actual"] = [round(float(v), 6) for v in y_val]
        for kind, model_bytes in (("float32", exported.float32), ("int8", exported.int8)):
            predicted = predict_values(model_bytes, X_val)
            results[kind] = {
                **_regression_summary(y_val, predicted),
                "predicted": [round(float(v), 6) for v in predicted],
            }
    return _outcome(exported, trained, results)


def summarize_values(predicted: np.ndarray) -> dict[str, Any]:
    """A recording's regression result: the mean of its windows' predictions, and each window's."""
    mean = float(np.mean(predicted))
    return {
        "task": "regression",
        "value": round(mean, 5),
        "windows": [{"index": index, "value": round(float(v), 5)} for index, v in enumerate(predicted)],
    }


def regression_test_results(
    predicted: np.ndarray,
    labels: Sequence[str],
    sample_ids: Sequence[int],
    sample_names: Mapping[int, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """MAE, RMSE and R² over the testing windows, and one row per sample (its label, mean prediction)."""
    actual = regression_targets(labels)
    summary: dict[str, Any] = {"task": "regression", **_regression_summary(actual, predicted)}
    summary["windows"] = len(actual)
    members: dict[int, list[int]] = {}
    for row, sample_id in enumerate(sample_ids):
        members.setdefault(int(sample_id), []).append(row)
    rows: list[dict[str, Any]] = []
    for sample_id, picks in members.items():
        value = float(predicted[picks].mean())
        # Read from the label itself, so "0.8" shows as 0.8 rather than its float32 neighbour.
        expected = float(labels[picks[0]])
        rows.append(
            {
                "sample_id": sample_id,
                "sample_name": (sample_names or {}).get(sample_id, str(sample_id)),
                "label": labels[picks[0]],
                "actual": expected,
                "predicted": round(value, 5),
                "error": round(value - expected, 5),
                "windows": len(picks),
            }
        )
    summary["samples"] = len(rows)
    return summary, rows
