"""Evaluation: TFLM/LiteRT inference of exported models, classification and regression metrics, 2-D projection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from tests.workers.learn.factories import MotionData
from workers.learn.evaluate import classify_tflite, metrics, project_2d, regression_metrics, run_tflite
from workers.learn.export import ExportedModels, litert_interpreter


def test_int8_scores_are_what_the_reference_kernels_compute_from_quantized_inputs(
    reference_export: ExportedModels, motions: MotionData
) -> None:
    # Quantize by hand, run LiteRT's reference kernels, dequantize by hand: TFLM must agree exactly.
    interpreter = litert_interpreter(reference_export.int8)
    tin, tout = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    (scale, zero), (out_scale, out_zero) = tin["quantization"], tout["quantization"]
    expected = []
    for row in motions.test:
        q = np.clip(np.round(row / scale) + zero, -128, 127).astype(np.int8)[None]
        interpreter.set_tensor(tin["index"], q)
        interpreter.invoke()
        expected.append((interpreter.get_tensor(tout["index"])[0].astype(np.float32) - out_zero) * out_scale)
    np.testing.assert_array_equal(classify_tflite(reference_export.int8, motions.test), np.array(expected))


def test_int8_scores_are_multiples_of_the_output_scale(
    reference_export: ExportedModels, motions: MotionData
) -> None:
    scores = classify_tflite(reference_export.int8, motions.test)
    steps = scores * 256
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)


def test_sample_of_the_wrong_size_is_refused(reference_export: ExportedModels) -> None:
    with pytest.raises(ValueError, match="each sample must have 24 values"):
        run_tflite(reference_export.int8, np.zeros((2, 23), np.float32))


def test_metrics_of_six_samples_with_one_mistake() -> None:
    # Classes a, b, c; two samples each. Every sample gets 0.8 on its predicted class and 0.1 on the
    # others; the second 'b' is predicted 'c'.
    y_true = np.array([0, 0, 1, 1, 2, 2])
    predicted = [0, 0, 1, 2, 2, 2]
    scores = np.full((6, 3), 0.1)
    scores[np.arange(6), predicted] = 0.8
    result = metrics(y_true, scores, ["a", "b", "c"])
    assert result["accuracy"] == pytest.approx(5 / 6)
    assert result["confusion_matrix"] == [[2, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert result["per_class"]["b"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert result["per_class"]["c"]["precision"] == pytest.approx(2 / 3)
    assert result["per_class"]["c"]["f1"] == pytest.approx(0.8)
    assert result["weighted_f1"] == pytest.approx((1 + 2 / 3 + 0.8) / 3)
    assert result["loss"] == pytest.approx(-(5 * np.log(0.8) + np.log(0.1)) / 6)


def test_a_class_never_predicted_has_zero_precision_and_a_zero_score_gives_finite_loss() -> None:
    scores = np.array([[1.0, 0.0], [1.0, 0.0]])
    result = metrics(np.array([0, 1]), scores, ["x", "y"])
    assert result["per_class"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert np.isfinite(result["loss"])


def test_metrics_refuse_scores_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"scores must be \[2, 3\]"):
        metrics(np.array([0, 1]), np.zeros((2, 2)), ["a", "b", "c"])


def test_regression_metrics_of_one_error_of_one() -> None:
    # Targets 1, 2, 3 predicted as 1, 2, 4: squared and absolute errors 1/3, spread 2, R² 0.5.
    result = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert result == pytest.approx({"mse": 1 / 3, "mae": 1 / 3, "r2": 0.5})


def test_pca_puts_the_main_direction_first_with_a_fixed_sign() -> None:
    # Points along (1, 2, 2)/3 with a little spread along (0, 1, -1): PCA recovers both directions.
    t = np.linspace(-3, 3, 50)
    wiggle = 0.1 * np.cos(np.pi * t)  # even in t, so uncorrelated with it
    X = np.outer(t, [1, 2, 2]) / 3 + np.outer(wiggle, [0, 1, -1]) / np.sqrt(2)
    points = project_2d(X)
    np.testing.assert_allclose(points[:, 0], t - t.mean(), atol=1e-6)
    np.testing.assert_allclose(np.abs(points[:, 1]), np.abs(wiggle - wiggle.mean()), atol=1e-6)
    np.testing.assert_array_equal(project_2d(-X)[:, 0], -points[:, 0])


def test_projection_by_chosen_features_and_its_errors() -> None:
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(project_2d(X, "features", (2, 0)), X[:, [2, 0]])
    with pytest.raises(ValueError, match="feature index 3 is out of range"):
        project_2d(X, "features", (0, 3))
    with pytest.raises(ValueError, match="unknown projection 'tsne'"):
        project_2d(X, "tsne")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda c: st.tuples(st.just(c), st.lists(st.integers(0, c - 1), min_size=1, max_size=40))
    )
)
def test_metrics_agree_with_scikit_learn_on_any_labels(case: tuple[int, list[int]]) -> None:
    n_classes, labels = case
    y_true = np.array(labels)
    # Scores from a fixed generator: predictions that are right and wrong in varied proportions.
    rng = np.random.default_rng(len(labels) * 7 + n_classes)
    scores = rng.dirichlet(np.ones(n_classes), size=len(labels)) + 1e-3
    # Kept away from 0 so both sides' different clipping of log(0) never matters.
    scores /= scores.sum(axis=1, keepdims=True)
    names = [f"c{k}" for k in range(n_classes)]
    result = metrics(y_true, scores, names)
    predicted = scores.argmax(axis=1)
    everything = list(range(n_classes))
    precision, recall, f1, support = sk_metrics.precision_recall_fscore_support(
        y_true, predicted, labels=everything, zero_division=0
    )
    assert (
        result["confusion_matrix"]
        == sk_metrics.confusion_matrix(y_true, predicted, labels=everything).tolist()
    )
    assert result["accuracy"] == pytest.approx(sk_metrics.accuracy_score(y_true, predicted))
    for k, name in enumerate(names):
        got = result["per_class"][name]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((precision[k], recall[k], f1[k]))
        assert got["support"] == support[k]
    assert result["weighted_f1"] == pytest.approx(
        sk_metrics.f1_score(y_true, predicted, labels=everything, average="weighted", zero_division=0)
    )
    assert result["loss"] == pytest.approx(sk_metrics.log_loss(y_true, scores, labels=everything))
