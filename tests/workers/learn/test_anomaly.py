"""K-means and GMM anomaly blocks on BasicMotions: the score definitions, and that other activities score higher."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from tests.workers.learn.factories import MotionData
from workers.learn.anomaly import GMM_REG_COVAR, fit_gmm, fit_kmeans


def _normal_and_other(motions: MotionData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # 'standing' is the normal activity; the other three are the anomalies.
    standing = motions.class_names.index("standing")
    normal_train = motions.train[motions.y_train == standing]
    return normal_train, motions.test[motions.y_test == standing], motions.test[motions.y_test != standing]


def test_kmeans_score_is_distance_to_nearest_centroid_over_its_radius() -> None:
    # Two clusters of two points in 1-D: {0, 2} and {10, 12} (standardized by mean 6, std 5).
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    model = fit_kmeans(X, 2, seed=0)
    assert model.mean.tolist() == [6.0] and model.scale.tolist() == pytest.approx([np.sqrt(26)])
    assert sorted(model.centroids[:, 0] * model.scale[0] + model.mean[0]) == pytest.approx([1.0, 11.0])
    # Each member lies 1 away from its centroid, so the RMS radius is 1 (in standardized units 1/std).
    np.testing.assert_allclose(model.radii, 1 / np.sqrt(26))
    # 4 is 3 away from the centroid at 1: score 3; 11 sits on a centroid: score 0.
    np.testing.assert_allclose(model.score(np.array([[4.0], [11.0]])), [3.0, 0.0], atol=1e-6)


def test_kmeans_scores_other_activities_above_the_threshold(motions: MotionData) -> None:
    normal_train, normal_test, other = _normal_and_other(motions)
    # Ten normal windows of 24 features support one cluster; two of the ten 'standing' test windows
    # are unlike any training window and score as anomalies too.
    model = fit_kmeans(normal_train, 1, seed=1)
    assert (model.score(normal_test) < model.threshold).mean() >= 0.8
    assert (model.score(other) > model.threshold).mean() >= 0.95


def test_kmeans_is_deterministic_and_serializable(motions: MotionData) -> None:
    normal_train, _, _ = _normal_and_other(motions)
    a, b = fit_kmeans(normal_train, 3, seed=4), fit_kmeans(normal_train, 3, seed=4)
    assert a.to_json() == b.to_json()
    assert set(a.to_json()) == {"kind", "mean", "scale", "centroids", "radii", "threshold"}


def test_cluster_of_identical_samples_gets_a_floored_radius() -> None:
    X = np.array([[0.0], [0.0], [0.0], [10.0], [12.0]])
    model = fit_kmeans(X, 2, seed=0)
    assert model.radii.min() > 0
    assert np.all(np.isfinite(model.score(np.array([[0.5]]))))


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_gmm_score_is_the_negative_log_likelihood_of_the_standardized_sample(
    motions: MotionData, covariance: str
) -> None:
    normal_train, normal_test, other = _normal_and_other(motions)
    model = fit_gmm(normal_train, 2, seed=0, covariance=covariance)
    reference = GaussianMixture(2, covariance_type=covariance, reg_covar=GMM_REG_COVAR, random_state=0)
    reference.fit((normal_train - model.mean) / model.scale)
    samples = np.concatenate([normal_test, other])
    np.testing.assert_allclose(
        model.score(samples), -reference.score_samples((samples - model.mean) / model.scale), rtol=1e-5
    )


def test_gmm_scores_other_activities_above_the_threshold(motions: MotionData) -> None:
    normal_train, normal_test, other = _normal_and_other(motions)
    model = fit_gmm(normal_train, 1, seed=0, covariance="diag")
    assert (model.score(normal_test) < model.threshold).mean() >= 0.8
    assert (model.score(other) > model.threshold).mean() >= 0.95
    assert model.to_json()["kind"] == "gmm"


def test_far_away_sample_gets_a_finite_gmm_score() -> None:
    X = np.random.default_rng(0).normal(size=(50, 2))
    model = fit_gmm(X, 2, seed=0)
    assert np.isfinite(model.score(np.array([[1e4, -1e4]]))).all()


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros((2, 3)), "2 samples are too few for 3"),
        (np.zeros(5), "2-D array"),
        (np.full((5, 2), np.inf), "NaN"),
    ],
)
def test_unusable_data_is_refused(X: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_kmeans(X, 3, seed=0)
    with pytest.raises(
        ValueError, match=message.replace("3", "3 components") if "few" in message else message
    ):
        fit_gmm(X, 3, seed=0)
