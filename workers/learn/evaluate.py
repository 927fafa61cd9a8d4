"""Evaluation of .tflite models as the device runs them, and the metrics the studio reports.

int8 models run in the tflite-micro interpreter (what the firmware computes: inputs quantized with
the model's scale and zero point, outputs dequantized); float32 models in LiteRT's reference
kernels, without the XNNPACK delegate, whose results differ from the device's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from tflite_micro import runtime as tflm

from workers.learn.export import TFLiteInfo, inspect_tflite, litert_interpreter

# Generous arena for host-side evaluation: an undersized TFLM arena can crash the process, and
# here memory is cheap. Every tensor unshared plus per-tensor bookkeeping bounds what TFLM needs.
ARENA_BASE_BYTES = 64 * 1024
ARENA_PER_TENSOR_BYTES = 512
# Probabilities are clipped before the log so a confident wrong int8 output (exactly 0) gives a
# large, finite loss.
LOSS_EPSILON = 1e-7


def _arena_size(info: TFLiteInfo) -> int:
    return ARENA_BASE_BYTES + 2 * info.tensor_bytes + ARENA_PER_TENSOR_BYTES * info.tensor_count


def run_tflite(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    """Run a one-input, one-output .tflite model on each row of ``X`` ``[N, F]``; float32 outputs ``[N, O]``.

    Each row is reshaped to the model's input shape (its element count must match).
    """
    info = inspect_tflite(model_bytes)
    X = np.asarray(X, dtype=np.float32)
    sample_shape = info.input_shape
    size = math.prod(sample_shape)
    if X.ndim < 1 or (len(X) and X[0].size != size):
        raise ValueError(f"each sample must have {size} values for input shape {list(sample_shape)}")
    out_size = math.prod(info.output_shape)
    results = np.empty((len(X), out_size), dtype=np.float32)
    if info.dtype == "int8":
        scale, zero = info.input_quantization
        out_scale, out_zero = info.output_quantization
        interpreter = tflm.Interpreter.from_bytes(model_bytes, arena_size=_arena_size(info))
        for i, row in enumerate(X):
            q = np.clip(np.round(row / scale) + zero, -128, 127).astype(np.int8).reshape(sample_shape)
            interpreter.set_input(q, 0)
            interpreter.invoke()
            raw = np.asarray(interpreter.get_output(0)).astype(np.float32).reshape(-1)
            results[i] = (raw - out_zero) * out_scale
        return results
    interpreter = litert_interpreter(model_bytes)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    for i, row in enumerate(X):
        interpreter.set_tensor(input_index, row.reshape(sample_shape))
        interpreter.invoke()
        results[i] = interpreter.get_tensor(output_index).reshape(-1)
    return results


def classify_tflite(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    """Class scores ``[N, C]`` float32 of a classifier .tflite (int8 via TFLM, float32 via LiteRT)."""
    return run_tflite(model_bytes, X)


def metrics(y_true: np.ndarray, scores: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, cross-entropy loss, per-class precision/recall/F1, weighted F1 and the confusion matrix.

    ``confusion[actual][predicted]`` counts samples; a class never predicted has precision 0.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    n_classes = len(class_names)
    if scores.ndim != 2 or scores.shape != (len(y_true), n_classes):
        raise ValueError(f"scores must be [{len(y_true)}, {n_classes}], got {list(scores.shape)}")
    predicted = scores.argmax(axis=1)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y_true, predicted), 1)
    per_class: dict[str, dict[str, float]] = {}
    for k, name in enumerate(class_names):
        tp = confusion[k, k]
        predicted_k, actual_k = confusion[:, k].sum(), confusion[k].sum()
        precision = tp / predicted_k if predicted_k else 0.0
        recall = tp / actual_k if actual_k else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(actual_k),
        }
    support = confusion.sum(axis=1)
    weighted_f1 = (
        float(sum(per_class[name]["f1"] * support[k] for k, name in enumerate(class_names)) / support.sum())
        if support.sum()
        else 0.0
    )
    picked = np.clip(scores[np.arange(len(y_true)), y_true], LOSS_EPSILON, 1.0)
    return {
        "accuracy": float((predicted == y_true).mean()) if len(y_true) else 0.0,
        "loss": float(-np.log(picked).mean()) if len(y_true) else 0.0,
        "per_class": per_class,
        "weighted_f1": weighted_f1,
        "confusion_matrix": confusion.tolist(),
        "class_names": list(class_names),
    }


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Mean squared error, mean absolute error and R² (over all outputs) of a regression."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(len(predicted), -1)
    if y_true.shape != predicted.shape:
        raise ValueError(
            f"targets {list(y_true.shape)} and predictions {list(predicted.shape)} differ in shape"
        )
    error = predicted - y_true
    spread = ((y_true - y_true.mean(axis=0)) ** 2).sum()
    return {
        "mse": float((error**2).mean()),
        "mae": float(np.abs(error).mean()),
        "r2": float(1 - (error**2).sum() / spread) if spread > 0 else 0.0,
    }


def project_2d(X: np.ndarray, method: str = "pca", features: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Project features ``[N, F]`` to 2-D for the feature explorer: PCA, or two chosen feature columns.

    PCA components are signed so that each one's largest loading is positive, which keeps the
    picture from flipping between runs on the same data.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"features must be [samples, features], got shape {list(X.shape)}")
    if method == "features":
        for index in features:
            if not 0 <= index < X.shape[1]:
                raise ValueError(f"feature index {index} is out of range for {X.shape[1]} features")
        return X[:, list(features)].astype(np.float32)
    if method != "pca":
        raise ValueError(f"unknown projection {method!r} (known: pca, features)")
    centred = X - X.mean(axis=0)
    if X.shape[1] < 2 or len(X) < 2:
        padded = np.zeros((len(X), 2))
        padded[:, : min(2, X.shape[1])] = centred[:, :2]
        return padded.astype(np.float32)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    return (centred @ (components * signs[:, None]).T).astype(np.float32)
