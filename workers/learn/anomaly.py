"""Anomaly-detection learning blocks: K-means and Gaussian-mixture models of normal data, and their scores.

Both models work on standardized features ``z = (x - mean) / scale`` and keep only small parameter
sets, so the score can be computed the same way on a device (the formulas are in docs/learning.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

# The suggested threshold: this quantile of the training data's own scores.
THRESHOLD_QUANTILE = 0.99
# A cluster of identical samples has radius 0; flooring at a tenth of the mean radius keeps its
# neighbours' scores finite while still marking them unusual.
RADIUS_FLOOR_FRACTION = 0.1
# Added to GMM covariance diagonals (in standardized units) so that few samples still give an
# invertible covariance.
GMM_REG_COVAR = 1e-3


def _check(X: np.ndarray, n: int, what: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 1:
        raise ValueError(f"features must be a 2-D array [samples, features], got shape {list(X.shape)}")
    if not np.all(np.isfinite(X)):
        raise ValueError("features contain NaN or infinite values")
    if len(X) < n:
        raise ValueError(f"{len(X)} samples are too few for {n} {what}")
    return X


def _standardizer(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    # A constant feature carries no information; a scale of 1 keeps it at 0 instead of dividing by 0.
    scale[scale == 0] = 1.0
    return mean, scale


@dataclass(frozen=True)
class KMeansAnomaly:
    """Centroids and radii of normal data; ``score`` is the distance to the nearest centroid over its radius."""

    mean: np.ndarray
    scale: np.ndarray
    centroids: np.ndarray
    radii: np.ndarray
    threshold: float

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per sample ``[N]``: about 1 for typical normal data, growing with distance."""
        z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        distances = np.sqrt(((z[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2))
        nearest = distances.argmin(axis=1)
        return (distances[np.arange(len(z)), nearest] / self.radii[nearest]).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        """The parameters a device needs, as JSON."""
        return {
            "kind": "kmeans",
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "centroids": self.centroids.tolist(),
            "radii": self.radii.tolist(),
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class GMMAnomaly:
    """A Gaussian mixture of normal data; ``score`` is the negative log-likelihood (nats) of a sample."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance: Literal["full", "diag"]
    threshold: float

    def score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per sample ``[N]``: ``-log sum_k w_k N(z; mu_k, Sigma_k)``, higher is more anomalous."""
        z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        d = z.shape[1]
        log_terms = np.empty((len(z), len(self.weights)))
        for k in range(len(self.weights)):
            diff = z - self.means[k]
            if self.covariance == "diag":
                var = self.covariances[k]
                mahalanobis = (diff**2 / var).sum(axis=1)
                log_det = np.log(var).sum()
            else:
                chol = np.linalg.cholesky(self.covariances[k])
                solved = np.linalg.solve(chol, diff.T)
                mahalanobis = (solved**2).sum(axis=0)
                log_det = 2 * np.log(np.diag(chol)).sum()
            log_terms[:, k] = np.log(self.weights[k]) - 0.5 * (d * np.log(2 * np.pi) + log_det + mahalanobis)
        # log-sum-exp with the largest term factored out, so far-away samples do not underflow to -inf.
        top = log_terms.max(axis=1)
        log_likelihood = top + np.log(np.exp(log_terms - top[:, None]).sum(axis=1))
        return (-log_likelihood).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        """The parameters a device needs, as JSON."""
        return {
            "kind": "gmm",
            "covariance": self.covariance,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "threshold": self.threshold,
        }


def fit_kmeans(X: np.ndarray, n_clusters: int, seed: int) -> KMeansAnomaly:
    """Fit K-means to normal data ``X`` ``[N, F]``; deterministic for a given seed."""
    X = _check(X, n_clusters, "clusters")
    mean, scale = _standardizer(X)
    z = (X - mean) / scale
    fitted = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit(z)
    centroids = fitted.cluster_centers_
    labels = fitted.labels_
    distances = np.sqrt(((z - centroids[labels]) ** 2).sum(axis=1))
    radii = np.array([np.sqrt(np.mean(distances[labels == k] ** 2)) for k in range(n_clusters)])
    floor = RADIUS_FLOOR_FRACTION * radii.mean() if radii.mean() > 0 else 1.0
    radii = np.maximum(radii, floor)
    partial = KMeansAnomaly(mean, scale, centroids, radii, 0.0)
    threshold = float(np.quantile(partial.score(X), THRESHOLD_QUANTILE))
    return KMeansAnomaly(mean, scale, centroids, radii, threshold)


def fit_gmm(
    X: np.ndarray, n_components: int, seed: int, covariance: Literal["full", "diag"] = "full"
) -> GMMAnomaly:
    """Fit a Gaussian mixture to normal data ``X`` ``[N, F]``; deterministic for a given seed."""
    X = _check(X, n_components, "components")
    if covariance not in ("full", "diag"):
        raise ValueError(f"covariance must be 'full' or 'diag', got {covariance!r}")
    mean, scale = _standardizer(X)
    z = (X - mean) / scale
    fitted = GaussianMixture(
        n_components=n_components, covariance_type=covariance, reg_covar=GMM_REG_COVAR, random_state=seed
    ).fit(z)
    partial = GMMAnomaly(mean, scale, fitted.weights_, fitted.means_, fitted.covariances_, covariance, 0.0)
    threshold = float(np.quantile(partial.score(X), THRESHOLD_QUANTILE))
    return GMMAnomaly(mean, scale, fitted.weights_, fitted.means_, fitted.covariances_, covariance, threshold)
